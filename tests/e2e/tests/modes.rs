//! `suspend` freezes the children while status stays current; `stopped` scales the engine to
//! zero and keeps its config; clearing either resumes normal reconciling.

use std::thread::sleep;
use std::time::Duration;

use serde_json::{Value, json};
use vexfs_e2e::{Result, Scenario, Stack, ensure, object, wait};

const READY: Duration = Duration::from_secs(120);
const SETTLE: Duration = Duration::from_secs(5);

fn config_data(stack: &Stack) -> Result<Value> {
    Ok(stack
        .children_of("configmaps")?
        .first()
        .map_or(Value::Null, |c| c["data"].clone()))
}

fn statefulset_replicas(stack: &Stack) -> Result<Option<i64>> {
    Ok(stack
        .children_of("statefulsets")?
        .first()
        .and_then(|s| s.pointer("/spec/replicas")?.as_i64()))
}

fn wait_observed(stack: &Stack) -> Result<Value> {
    Ok(wait::until(
        "status to observe the current generation",
        READY,
        || {
            let current = stack.get().map_err(|e| e.to_string())?;
            if object::generation(&current) == object::observed_generation(&current) {
                Ok(current)
            } else {
                Err("not observed yet".into())
            }
        },
    )?)
}

#[test]
fn suspend_freezes_children_but_keeps_status_current() -> Result<()> {
    let s = Scenario::new("suspend")?;
    let (_operator, stack) = s.ready_sample("minimal.yaml", READY)?;
    let frozen = config_data(&stack)?;
    stack.patch_spec(json!({"suspend": true}))?;
    wait_observed(&stack)?;
    stack.patch_spec(json!({"analytics": {"slidingWindowSize": 30000}}))?;
    wait_observed(&stack)?;
    sleep(SETTLE);
    ensure(config_data(&stack)? == frozen, || {
        "a suspended stack's ConfigMap changed".into()
    })?;
    stack.patch_spec(json!({"suspend": false}))?;
    wait::until(
        "the ConfigMap to follow the spec after resuming",
        READY,
        || {
            let now = config_data(&stack).map_err(|e| e.to_string())?;
            if now == frozen {
                Err("ConfigMap unchanged".into())
            } else {
                Ok(())
            }
        },
    )?;
    stack.wait_ready(READY)?;
    Ok(())
}

#[test]
fn stopped_scales_to_zero_and_keeps_the_config() -> Result<()> {
    let s = Scenario::new("stopped")?;
    let (_operator, stack) = s.ready_sample("minimal.yaml", READY)?;
    let config = config_data(&stack)?;
    stack.patch_spec(json!({"stopped": true}))?;
    wait::until("the engine scaled to zero with no pods", READY, || {
        let replicas = statefulset_replicas(&stack).map_err(|e| e.to_string())?;
        let pods = stack.pods().map_err(|e| e.to_string())?.len();
        if replicas == Some(0) && pods == 0 {
            Ok(())
        } else {
            Err(format!("replicas {replicas:?}, {pods} pods"))
        }
    })?;
    wait_observed(&stack)?;
    ensure(config_data(&stack)? == config, || {
        "stopping changed the engine config".into()
    })?;
    stack.patch_spec(json!({"stopped": false}))?;
    wait::until("the engine scaled back up", READY, || {
        let replicas = statefulset_replicas(&stack).map_err(|e| e.to_string())?;
        if replicas.is_some_and(|r| r > 0) {
            Ok(())
        } else {
            Err(format!("replicas {replicas:?}"))
        }
    })?;
    stack.wait_ready(READY)?;
    Ok(())
}
