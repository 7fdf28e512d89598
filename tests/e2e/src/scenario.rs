//! The fixture most operator tests share: CRDs installed, a fresh namespace, the operator
//! running as a real process (optionally with a sample stack Ready), and a lock so that operator
//! tests of one binary run one at a time.

use std::net::TcpListener;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::{Cluster, OperatorProcess, Result, Stack, TestNamespace, crds};

static SERIAL: Mutex<()> = Mutex::new(());

/// How long an operator replica may take to lead and sync its caches.
pub const OPERATOR_READY: Duration = Duration::from_secs(60);

/// A test's cluster, namespace and operator.
#[derive(Debug)]
pub struct Scenario {
    /// The started cluster.
    pub cluster: Cluster,
    /// The test's own namespace.
    pub namespace: TestNamespace,
    name: String,
    _serial: Option<MutexGuard<'static, ()>>,
}

impl Scenario {
    /// Installs the CRDs and creates a namespace named after `name`; holds the per-binary
    /// lock for the test's lifetime. The operator is started separately.
    pub fn new(name: &str) -> Result<Self> {
        let serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        Self::create(name, Some(serial))
    }

    /// Like [`Scenario::new`] without the per-binary lock: for tests that mostly wait on the
    /// wall clock (cron schedules), so the tests of their binary run side by side. Each test
    /// still has its own namespace and operator, so they cannot see each other.
    pub fn concurrent(name: &str) -> Result<Self> {
        Self::create(name, None)
    }

    fn create(name: &str, serial: Option<MutexGuard<'static, ()>>) -> Result<Self> {
        let cluster = Cluster::from_env()?;
        crds::install(&cluster)?;
        let namespace = TestNamespace::create(&cluster.kubectl(), name)?;
        Ok(Self {
            cluster,
            namespace,
            name: name.to_owned(),
            _serial: serial,
        })
    }

    /// The namespace name.
    pub fn ns(&self) -> &str {
        self.namespace.name()
    }

    /// Starts an operator replica watching this scenario's namespace and waits until it serves
    /// `/readyz` (it leads and its caches are synced); `replica` names its log.
    pub fn start_operator(&self, replica: &str) -> Result<OperatorProcess> {
        let (mut operator, metrics) = self.spawn_operator(replica)?;
        operator.wait_ready(&metrics, OPERATOR_READY)?;
        Ok(operator)
    }

    /// Starts an operator replica, applies `config/samples/<sample>` and waits up to `timeout`
    /// until the stack is Ready; keep the returned operator alive for as long as it should run.
    pub fn ready_sample(
        &self,
        sample: &str,
        timeout: Duration,
    ) -> Result<(OperatorProcess, Stack)> {
        let operator = self.start_operator("0")?;
        let stack = Stack::apply_sample(&self.cluster, self.ns(), sample)?;
        stack.wait_ready(timeout)?;
        Ok((operator, stack))
    }

    /// Starts a replica that is expected to stand by (another replica leads); only checks
    /// that it has not exited.
    pub fn start_standby_operator(&self, replica: &str) -> Result<OperatorProcess> {
        let (mut operator, _) = self.spawn_operator(replica)?;
        std::thread::sleep(crate::wait::POLL_INTERVAL);
        operator.ensure_running()?;
        Ok(operator)
    }

    /// Creates the generic Secret `name` in the namespace with each of `keys` holding a
    /// placeholder value (for Secrets that are only mounted: kwok's pods read nothing).
    pub fn create_secret(&self, name: &str, keys: &[&str]) -> Result<()> {
        let mut args = vec!["create", "secret", "generic", name, "-n", self.ns()];
        let literals: Vec<String> = keys
            .iter()
            .map(|k| format!("--from-literal={k}=x"))
            .collect();
        args.extend(literals.iter().map(String::as_str));
        self.cluster.kubectl().run(&args)?;
        Ok(())
    }

    fn spawn_operator(&self, replica: &str) -> Result<(OperatorProcess, String)> {
        let log = format!("{}-{}-{replica}", self.name, self.ns());
        let metrics = format!("127.0.0.1:{}", free_port()?);
        let args = operator_args(self.ns(), &metrics);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Ok((OperatorProcess::start(&self.cluster, &log, &args)?, metrics))
    }
}

/// Command-line flags of one operator replica scoped to `namespace`, electing its leader
/// through a Lease in that namespace. The operator runs on the host, outside any pod network
/// (and kwok's pods run no engine), so it does not probe clustered engines: their names would
/// only be looked up in DNS servers beyond loopback.
pub fn operator_args(namespace: &str, metrics_address: &str) -> Vec<String> {
    vec![
        format!("--namespaces={namespace}"),
        format!("--metrics-addr={metrics_address}"),
        "--leader-elect".to_owned(),
        format!("--lease-namespace={namespace}"),
        "--log-format=text".to_owned(),
        "--engine-probes=false".to_owned(),
    ]
}

fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|source| crate::operator::OperatorError::Io {
            action: "finding a free port",
            source,
        })?;
    let port = listener
        .local_addr()
        .map_err(|source| crate::operator::OperatorError::Io {
            action: "finding a free port",
            source,
        })?
        .port();
    Ok(port)
}
