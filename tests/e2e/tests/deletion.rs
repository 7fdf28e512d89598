//! Deleting a stack garbage-collects every child and never hangs, whether or not the operator
//! is running (no finalizer may outlive it).

use std::time::Duration;

use vexfs_e2e::{Result, Scenario, Stack, wait};

const READY: Duration = Duration::from_secs(120);
const GONE: Duration = Duration::from_secs(60);

fn wait_gone(stack: &Stack) -> Result<()> {
    wait::until("the resource to be deleted", GONE, || {
        match stack.exists() {
            Ok(false) => Ok(()),
            Ok(true) => Err("still present (finalizer?)".into()),
            Err(e) => Err(e.to_string()),
        }
    })?;
    wait::until("every child to be garbage-collected", GONE, || {
        let left = stack.children().map_err(|e| e.to_string())?;
        let pods = stack.pods().map_err(|e| e.to_string())?;
        if left.is_empty() && pods.is_empty() {
            Ok(())
        } else {
            Err(format!("{} children, {} pods left", left.len(), pods.len()))
        }
    })?;
    Ok(())
}

#[test]
fn deleting_with_the_operator_running_collects_every_child() -> Result<()> {
    let s = Scenario::new("delete")?;
    let (_operator, stack) = s.ready_sample("minimal.yaml", READY)?;
    stack.delete()?;
    wait_gone(&stack)
}

#[test]
fn deleting_without_the_operator_never_hangs() -> Result<()> {
    let s = Scenario::new("delete-orphan")?;
    let (operator, stack) = s.ready_sample("minimal.yaml", READY)?;
    operator.kill()?;
    stack.delete()?;
    wait_gone(&stack)
}
