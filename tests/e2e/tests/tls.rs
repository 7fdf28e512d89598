//! `spec.tls: {}`: the operator's own CA and serving certificate on a real control plane. The
//! certificate chains to the CA and names the Services, the engine is configured to serve it and
//! probed over HTTPS, and a deleted serving Secret is issued again from the same CA. (The
//! ServiceMonitor's HTTPS endpoint is covered by the builder snapshots: this cluster serves no
//! Prometheus Operator API.) Certificates are inspected with `openssl`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use vexfs_e2e::command::{self, Output};
use vexfs_e2e::{Result, Scenario, Stack, ensure, object, wait};

const READY: Duration = Duration::from_secs(120);

/// `key` of Secret `name`, decoded, written to `dir/file`.
fn secret_file(s: &Scenario, name: &str, key: &str, dir: &Path, file: &str) -> Result<PathBuf> {
    let template = format!("go-template={{{{index .data \"{key}\" | base64decode}}}}");
    let text = s.cluster.kubectl().run(&[
        "get",
        &format!("secret/{name}"),
        "-n",
        s.ns(),
        "-o",
        &template,
    ])?;
    let path = dir.join(file);
    std::fs::write(&path, text)
        .map_err(|e| vexfs_e2e::Error::Expectation(format!("writing {}: {e}", path.display())))?;
    Ok(path)
}

fn openssl(args: &[&str]) -> Result<Output> {
    let out = command::run(Path::new("openssl"), &command::args(args), &[], None)?;
    Ok(out)
}

fn probes_use_https(sts: &Value) -> bool {
    let container = sts.pointer("/spec/template/spec/containers/0");
    ["readinessProbe", "livenessProbe"].iter().all(|probe| {
        container.and_then(|c| c.pointer(&format!("/{probe}/httpGet/scheme")))
            == Some(&Value::from("HTTPS"))
    })
}

#[test]
fn the_operator_issues_a_certificate_for_the_services_and_the_engine_serves_it() -> Result<()> {
    let s = Scenario::new("tls")?;
    let _operator = s.start_operator("0")?;
    let stack = Stack::apply_sample(&s.cluster, s.ns(), "tls.yaml")?;
    stack.wait_ready(READY)?;
    let cr = stack.get()?;
    let kubectl = s.cluster.kubectl();
    for name in ["secure-tls-ca", "secure-tls"] {
        let secret = kubectl.get("secret", name, s.ns())?.unwrap_or_default();
        ensure(object::controlled_by(&secret, object::uid(&cr)), || {
            format!(
                "Secret {name} exists, owned by the resource: {}",
                secret["metadata"]
            )
        })?;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("tls-{}", s.ns()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| vexfs_e2e::Error::Expectation(format!("temp dir: {e}")))?;
    let ca = secret_file(&s, "secure-tls-ca", "ca.crt", &dir, "ca.crt")?;
    let served_ca = secret_file(&s, "secure-tls", "ca.crt", &dir, "served-ca.crt")?;
    let cert = secret_file(&s, "secure-tls", "tls.crt", &dir, "tls.crt")?;
    let same_ca = std::fs::read(&ca).ok() == std::fs::read(&served_ca).ok();
    ensure(same_ca, || {
        "the serving Secret carries the CA's certificate".into()
    })?;
    let (ca, cert) = (ca.display().to_string(), cert.display().to_string());
    let verified = openssl(&["verify", "-CAfile", &ca, &cert])?;
    ensure(verified.success, || {
        format!("the certificate chains to the CA: {verified:?}")
    })?;
    let sans = openssl(&["x509", "-noout", "-ext", "subjectAltName", "-in", &cert])?;
    let ns = s.ns();
    for name in [
        format!("DNS:secure.{ns}.svc"),
        format!("DNS:secure.{ns}.svc.cluster.local"),
        format!("DNS:*.secure-headless.{ns}.svc"),
    ] {
        ensure(sans.stdout.contains(&name), || {
            format!("{name} among the SANs: {}", sans.stdout)
        })?;
    }
    let toml = stack.children_of("configmaps")?;
    let toml = toml
        .first()
        .and_then(|m| m.pointer("/data/engine.toml"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    ensure(toml.contains("[server.tls]"), || {
        format!("engine.toml serves HTTPS:\n{toml}")
    })?;
    let sts = stack.children_of("statefulsets")?;
    ensure(sts.first().is_some_and(probes_use_https), || {
        "the probes use scheme HTTPS".into()
    })?;

    // A deleted serving Secret is issued again, from the same CA.
    let old = std::fs::read_to_string(&cert).unwrap_or_default();
    kubectl.run(&["delete", "secret", "secure-tls", "-n", ns, "--wait=true"])?;
    wait::until("a new serving certificate", READY, || {
        let fresh = secret_file(&s, "secure-tls", "tls.crt", &dir, "tls-new.crt")
            .map_err(|e| e.to_string())?;
        let text = std::fs::read_to_string(&fresh).map_err(|e| e.to_string())?;
        if text.contains("BEGIN CERTIFICATE") && text != old {
            Ok(())
        } else {
            Err("not issued yet".to_owned())
        }
    })?;
    let fresh = dir.join("tls-new.crt").display().to_string();
    let again = openssl(&["verify", "-CAfile", &ca, &fresh])?;
    ensure(again.success, || {
        format!("the new certificate chains to the same CA: {again:?}")
    })
}

#[test]
fn an_issuer_ref_without_cert_manager_stalls_naming_the_api() -> Result<()> {
    let s = Scenario::new("tls-issuer")?;
    let _operator = s.start_operator("0")?;
    let manifest = serde_json::json!({
        "apiVersion": "vexfs.io/v1alpha1",
        "kind": "VexfsSemantic",
        "metadata": {"name": "issued"},
        "spec": {"tls": {"issuerRef": {"name": "corp-ca", "kind": "ClusterIssuer"}}},
    });
    let stack = Stack::apply_manifest(&s.cluster, s.ns(), &manifest)?;
    wait::until("Stalled=True/CertManagerApiMissing", READY, || {
        let cr = stack.get().map_err(|e| e.to_string())?;
        match object::condition(&cr, "Stalled") {
            Some(c)
                if c.status == "True"
                    && c.reason == "CertManagerApiMissing"
                    && c.message.contains("cert-manager.io/v1") =>
            {
                Ok(())
            }
            other => Err(format!("Stalled: {other:?}")),
        }
    })?;
    let sts = stack.children_of("statefulsets")?;
    ensure(sts.is_empty(), || {
        "no engine is started without its certificate".into()
    })
}
