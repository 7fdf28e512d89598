//! Scheduled backups on the real control plane. kwok completes backup Job pods with the
//! engine's JSON summary as termination message (`cluster/stages/backup-complete.yaml`) and
//! fails those of a stack named `backup-fails` (`backup-fail.yaml`); the target is a claim
//! bound to a PersistentVolume. The tests mostly wait for minute boundaries of an every-minute
//! schedule, so they run side by side, each with its own namespace and operator.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use vexfs_e2e::backup_volume::BackupVolume;
use vexfs_e2e::backups::{self, EVERY_MINUTE, phase, scheduled, volume_location};
use vexfs_e2e::{OperatorProcess, Result, Scenario, Stack, ensure, events, object, wait};

const READY: Duration = Duration::from_secs(120);
/// An every-minute run starts within a minute; its Job completes within seconds.
const NEXT_RUN: Duration = Duration::from_secs(100);
/// Failing Job pods (one retry), garbage collection and status updates.
const SETTLE: Duration = Duration::from_secs(60);
const CLAIM: &str = "backups";

/// A stack with backups to a bound claim and its own operator (dropped first).
struct Fixture {
    stack: Stack,
    _operator: OperatorProcess,
    _volume: BackupVolume,
    s: Scenario,
}

impl Fixture {
    fn start(test: &str, name: &str, backup: &Value) -> Result<Self> {
        let s = Scenario::concurrent(test)?;
        let volume = BackupVolume::create(&s.cluster.kubectl(), s.ns(), CLAIM)?;
        let operator = s.start_operator("0")?;
        let manifest = backups::semantic(name, volume.claim(), backup);
        let stack = Stack::apply_manifest(&s.cluster, s.ns(), &manifest)?;
        stack.wait_ready(READY)?;
        Ok(Self {
            stack,
            _operator: operator,
            _volume: volume,
            s,
        })
    }

    fn records(&self) -> Result<Vec<Value>> {
        Ok(backups::records(
            &self.s.cluster.kubectl(),
            self.s.ns(),
            self.stack.name(),
        )?)
    }

    /// Waits until the stack's records satisfy `accept`; returns them.
    fn wait_records(
        &self,
        what: &str,
        timeout: Duration,
        accept: impl Fn(&[Value]) -> bool,
    ) -> Result<Vec<Value>> {
        Ok(wait::until(what, timeout, || {
            let records = self.records().map_err(|e| e.to_string())?;
            if accept(&records) {
                return Ok(records);
            }
            Err(format!("records: {:?}", summary(&records)))
        })?)
    }

    /// Waits until the stack satisfies `accept`; returns it.
    fn wait_stack(&self, what: &str, accept: impl Fn(&Value) -> bool) -> Result<Value> {
        Ok(wait::until(what, SETTLE, || {
            let current = self.stack.get().map_err(|e| e.to_string())?;
            if accept(&current) {
                return Ok(current);
            }
            Err(format!(
                "status.backup: {}, BackupHealthy: {:?}",
                current.pointer("/status/backup").unwrap_or(&Value::Null),
                object::condition(&current, "BackupHealthy")
            ))
        })?)
    }

    fn jobs(&self, component: &str) -> Result<Vec<Value>> {
        Ok(backups::jobs(
            &self.s.cluster.kubectl(),
            self.s.ns(),
            self.stack.name(),
            component,
        )?)
    }
}

fn summary(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| format!("{} {:?}", object::name(r), phase(r)))
        .collect()
}

fn backup_status<'a>(object: &'a Value, field: &str) -> Option<&'a Value> {
    object.pointer(&format!("/status/backup/{field}"))
}

fn healthy(object: &Value, status: &str, reason: &str) -> bool {
    object::condition(object, "BackupHealthy")
        .is_some_and(|c| c.status == status && c.reason == reason)
}

/// The newest scheduled record once it has succeeded.
fn newest_succeeded(records: &[Value]) -> Option<&Value> {
    scheduled(records)
        .last()
        .copied()
        .filter(|r| phase(r) == Some("Succeeded"))
}

/// A succeeded record reports what the Job's summary said, at the operator's own location.
fn ensure_summary_reported(fx: &Fixture, record: &Value) -> Result<()> {
    let name = object::name(record);
    let status = &record["status"];
    ensure(status["location"] == volume_location(CLAIM, name), || {
        format!("{name} location: {}", status["location"])
    })?;
    ensure(
        status["sizeBytes"] == 4096 && status["eventCount"] == 1000,
        || format!("{name} size and event count: {status}"),
    )?;
    let sha = status["sha256"].as_str().unwrap_or_default();
    ensure(
        sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
        || format!("{name} sha256: {sha:?}"),
    )?;
    let jobs = fx.jobs("backup")?;
    let job = jobs.iter().find(|j| object::name(j) == name);
    ensure(
        job.is_some_and(|j| object::controlled_by(j, object::uid(record))),
        || format!("no backup Job {name} controlled by its record"),
    )?;
    ensure_only_the_backup_token(fx, job.unwrap_or(&Value::Null))
}

/// The Job's only Secret is the backup token's, one key of it: never the admin token or a
/// signing key.
fn ensure_only_the_backup_token(fx: &Fixture, job: &Value) -> Result<()> {
    let volumes = job
        .pointer("/spec/template/spec/volumes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let secrets: Vec<&Value> = volumes.iter().filter_map(|v| v.get("secret")).collect();
    let expected = format!("{}-backup-token", fx.stack.name());
    ensure(
        secrets.len() == 1
            && secrets[0]["secretName"] == expected.as_str()
            && secrets[0]["items"].as_array().map(Vec::len) == Some(1)
            && secrets[0]["items"][0]["key"] == "token",
        || format!("the backup Job mounts only {expected}/token: {secrets:?}"),
    )
}

/// kstatus (as Flux and `kubectl` tooling compute it) reads `record` as `expected`, and the
/// record's conditions are for its generation, with `condition` True for `reason`.
fn ensure_kstatus(
    fx: &Fixture,
    record: &Value,
    expected: &str,
    condition: &str,
    reason: &str,
) -> Result<()> {
    let name = object::name(record);
    let (status, message) = fx.s.cluster.kstatus(&record.to_string())?;
    ensure(status == expected, || {
        format!("kstatus of {name}: {status} {message}, expected {expected}")
    })?;
    let generation = object::generation(record);
    let observed = record
        .pointer("/status/observedGeneration")
        .and_then(Value::as_i64);
    ensure(generation.is_some() && observed == generation, || {
        format!("{name}: observedGeneration {observed:?}, generation {generation:?}")
    })?;
    let found = object::condition(record, condition);
    ensure(
        found.as_ref().is_some_and(|c| {
            c.status == "True" && c.reason == reason && c.observed_generation == generation
        }),
        || format!("{name}: {condition} condition {found:?}, expected True/{reason}"),
    )
}

#[test]
fn scheduled_runs_complete_report_status_and_prune_to_keep_last() -> Result<()> {
    let backup = json!({"schedule": EVERY_MINUTE, "retention": {"keepLast": 1},
                        "deletionPolicy": "Delete"});
    let fx = Fixture::start("backup-schedule", "scheduled", &backup)?;
    let records = fx.wait_records("a scheduled backup to succeed", NEXT_RUN, |r| {
        newest_succeeded(r).is_some()
    })?;
    let first = newest_succeeded(&records).cloned().unwrap_or_default();
    let first_name = object::name(&first).to_owned();
    ensure_summary_reported(&fx, &first)?;
    ensure_kstatus(&fx, &first, "Current", "Ready", "Succeeded")?;
    let current = fx.wait_stack("status.backup to report the backup", |o| {
        backup_status(o, "lastSuccessful/name") == Some(&json!(first_name))
            && healthy(o, "True", "BackupSucceeded")
    })?;
    let last = backup_status(&current, "lastScheduleTime").and_then(Value::as_str);
    let next = backup_status(&current, "nextScheduleTime").and_then(Value::as_str);
    ensure(last.is_some() && next.is_some() && next > last, || {
        format!("last schedule {last:?}, next schedule {next:?}")
    })?;

    let records = fx.wait_records(
        "the next run to succeed and replace the first",
        NEXT_RUN,
        |r| {
            let runs = scheduled(r);
            runs.len() == 1
                && object::name(runs[0]) != first_name
                && phase(runs[0]) == Some("Succeeded")
        },
    )?;
    let second = object::name(scheduled(&records)[0]).to_owned();
    let cleanup = format!("{first_name}-cleanup");
    let cleanups = fx.jobs("backup-cleanup")?;
    ensure(cleanups.iter().any(|j| object::name(j) == cleanup), || {
        format!("deletionPolicy Delete created no Job {cleanup}")
    })?;
    fx.wait_stack("status.backup to report the retained backup", |o| {
        backup_status(o, "lastSuccessful/name") == Some(&json!(second))
            && backup_status(o, "retained") == Some(&json!(1))
    })?;
    let seen = events::list(&fx.s.cluster.kubectl(), fx.s.ns(), fx.stack.name())?;
    ensure(
        seen.iter()
            .any(|e| e.reason == "BackupPruned" && e.note.contains(&first_name)),
        || format!("no BackupPruned Event for {first_name}"),
    )
}

/// Sleeps until `margin` after the next minute boundary (when an every-minute run is due).
fn sleep_past_next_minute(margin: Duration) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let into_minute = Duration::from_millis(u64::try_from(now.as_millis() % 60_000).unwrap_or(0));
    std::thread::sleep(Duration::from_secs(60).checked_sub(into_minute).unwrap() + margin);
}

#[test]
fn suspend_stops_new_runs_and_clears_the_next_schedule_time() -> Result<()> {
    let backup = json!({"schedule": EVERY_MINUTE, "suspend": true});
    let fx = Fixture::start("backup-suspend", "suspended", &backup)?;
    fx.wait_stack("a suspended schedule to report no next run", |o| {
        backup_status(o, "nextScheduleTime").is_none()
            && object::condition(o, "BackupHealthy")
                .is_some_and(|c| c.message.contains("suspended"))
    })?;
    sleep_past_next_minute(Duration::from_secs(10));
    let records = fx.records()?;
    ensure(scheduled(&records).is_empty(), || {
        format!("a suspended schedule started runs: {:?}", summary(&records))
    })?;
    ensure(fx.jobs("backup")?.is_empty(), || {
        "a suspended schedule created Jobs".into()
    })?;

    fx.stack.patch_spec(json!({"backup": {"suspend": false}}))?;
    fx.wait_stack("a resumed schedule to report its next run", |o| {
        backup_status(o, "nextScheduleTime").is_some()
    })?;
    fx.wait_records("a resumed schedule to start a run", NEXT_RUN, |r| {
        !scheduled(r).is_empty()
    })?;
    Ok(())
}

#[test]
fn a_failing_backup_job_sets_backup_healthy_false_with_its_reason() -> Result<()> {
    // A yearly schedule: only the on-demand backup runs during the test.
    let fx = Fixture::start(
        "backup-fail",
        "backup-fails",
        &json!({"schedule": "0 3 1 1 *"}),
    )?;
    let manual = backups::on_demand("manual-1", fx.stack.name(), "Retain");
    fx.s.cluster
        .kubectl()
        .run_with_input(&["apply", "-n", fx.s.ns(), "-f", "-"], &manual.to_string())?;
    let records = fx.wait_records("the on-demand backup to fail", SETTLE, |r| {
        r.iter().any(|b| phase(b) == Some("Failed"))
    })?;
    let failed = records.iter().find(|b| phase(b) == Some("Failed"));
    let message = failed.and_then(|b| b.pointer("/status/message")?.as_str());
    ensure(
        message.is_some_and(|m| m.starts_with("BackoffLimitExceeded")),
        || format!("failed record message: {message:?}"),
    )?;
    let failed = failed.cloned().unwrap_or_default();
    ensure_kstatus(&fx, &failed, "Failed", "Failed", "BackoffLimitExceeded")?;
    let current = fx.wait_stack("BackupHealthy=False with reason BackupFailed", |o| {
        healthy(o, "False", "BackupFailed")
    })?;
    let message = object::condition(&current, "BackupHealthy").map(|c| c.message);
    ensure(
        message.as_deref().is_some_and(|m| m.contains("manual-1")),
        || format!("BackupHealthy message does not name the backup: {message:?}"),
    )?;
    ensure(backup_status(&current, "lastSuccessful").is_none(), || {
        "a failed backup was reported as the last successful one".into()
    })
}

#[test]
fn deleting_the_semantic_with_retain_keeps_stored_backups() -> Result<()> {
    let backup = json!({"schedule": EVERY_MINUTE, "deletionPolicy": "Retain"});
    let fx = Fixture::start("backup-retain", "retained", &backup)?;
    let records = fx.wait_records("a scheduled backup to succeed", NEXT_RUN, |r| {
        newest_succeeded(r).is_some()
    })?;
    let record = newest_succeeded(&records).cloned().unwrap_or_default();
    ensure_summary_reported(&fx, &record)?;
    fx.stack.delete()?;
    let mut cleanups_seen = 0;
    wait::until("records and Jobs to be garbage-collected", SETTLE, || {
        cleanups_seen += fx.jobs("backup-cleanup").map_err(|e| e.to_string())?.len();
        let exists = fx.stack.exists().map_err(|e| e.to_string())?;
        let records = fx.records().map_err(|e| e.to_string())?;
        let jobs = fx.jobs("backup").map_err(|e| e.to_string())?;
        if !exists && records.is_empty() && jobs.is_empty() {
            return Ok(());
        }
        Err(format!(
            "exists {exists}, {} records, {} Jobs",
            records.len(),
            jobs.len()
        ))
    })?;
    ensure(
        cleanups_seen == 0 && fx.jobs("backup-cleanup")?.is_empty(),
        || "deletionPolicy Retain created a cleanup Job".into(),
    )?;
    let claim =
        fx.s.cluster
            .kubectl()
            .get("persistentvolumeclaims", CLAIM, fx.s.ns())?;
    let bound = claim.as_ref().and_then(|c| c.pointer("/status/phase"));
    ensure(bound == Some(&json!("Bound")), || {
        format!("the backup claim is gone or unbound: {bound:?}")
    })
}
