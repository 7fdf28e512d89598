//! Handing the allocator's free memory back to the OS (glibc only).
//!
//! The operator's work comes in bursts: the first lists of its caches, a thousand first
//! reconciles, a rollout. Each burst allocates and frees megabytes of short-lived JSON (watch
//! events, apply bodies and responses) between the long-lived cached objects, and glibc's malloc
//! keeps the freed pages for reuse: it returns memory to the OS by itself only from the top of
//! its heaps, and the top is pinned by whatever long-lived object was allocated last (an operator
//! restarted on 1,000 resources held 82 MB of heap for 43 MB in use). `malloc_trim` releases the
//! free pages anywhere in the heap, so the operator calls it every
//! `--malloc-trim-interval-seconds` when its resident memory has grown since the last call (an
//! idle operator does not trim).
//!
//! [`cap_arenas`], called before the runtime starts its threads, caps glibc's arenas at one. A
//! thread that meets a locked arena otherwise gets its own, up to eight per core, and each arena
//! keeps its own free pages (a second one held 3 MB for 1 MB in use). The operator's threads wait
//! on the API server, not on the allocator's lock, and each has a small cache of free chunks in
//! front of it. `MALLOC_ARENA_MAX` or `GLIBC_TUNABLES` in the environment win.
//!
//! Other C libraries (musl) return memory by themselves or offer no such call; there both do
//! nothing.

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Arenas glibc may create when the environment does not say.
pub const ARENA_MAX: usize = 1;

/// Growth of resident memory since the last trim, in bytes, below which a tick does not trim.
pub const MIN_GROWTH: u64 = 1 << 20;

/// The resident set size in bytes, from the text of `/proc/self/status` (its `VmRSS` line, in
/// kB); `None` when the text has no such line.
pub fn resident_bytes(status: &str) -> Option<u64> {
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?;
    let kib: u64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
    Some(kib * 1024)
}

/// Whether a tick should trim: the first one does, later ones when resident memory grew by at
/// least [`MIN_GROWTH`] since the last trim left it (new work faulted pages in, and its freed
/// part can go back). Without a reading, trim: it is cheap.
pub fn should_trim(after_last_trim: Option<u64>, now: Option<u64>) -> bool {
    match (after_last_trim, now) {
        (Some(last), Some(now)) => now >= last.saturating_add(MIN_GROWTH),
        _ => true,
    }
}

fn current_resident_bytes() -> Option<u64> {
    resident_bytes(&std::fs::read_to_string("/proc/self/status").ok()?)
}

/// Caps glibc's arenas at [`ARENA_MAX`] unless the environment sets a cap. Call it before any
/// other thread starts: an arena a thread already has stays.
pub fn cap_arenas() {
    let environment_says = std::env::var_os("MALLOC_ARENA_MAX").is_some()
        || std::env::var("GLIBC_TUNABLES").is_ok_and(|tunables| tunables.contains("arena_max"));
    if !environment_says {
        glibc::set_arena_max(ARENA_MAX);
    }
}

/// Starts the periodic trim; `None` when `interval` is zero (off) or the process does not run on
/// glibc.
pub fn start(interval: Duration, shutdown: CancellationToken) -> Option<JoinHandle<()>> {
    if interval.is_zero() || !glibc::AVAILABLE {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut after_last_trim = None;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = ticks.tick() => {}
            }
            let before = current_resident_bytes();
            if !should_trim(after_last_trim, before) {
                continue;
            }
            let started = std::time::Instant::now();
            glibc::trim();
            after_last_trim = current_resident_bytes();
            tracing::debug!(
                resident_before = before,
                resident_after = after_last_trim,
                elapsed_us = started.elapsed().as_micros(),
                "returned the heap's free pages to the OS"
            );
        }
    }))
}

/// The glibc calls, the only unsafe code of the operator.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(unsafe_code, reason = "FFI to glibc's mallopt and malloc_trim")]
mod glibc {
    /// Whether these calls reach glibc.
    pub const AVAILABLE: bool = true;

    /// Caps the number of arenas (`M_ARENA_MAX`).
    pub fn set_arena_max(arenas: usize) {
        let arenas = libc::c_int::try_from(arenas).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only sets a malloc parameter; it takes no pointers.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, arenas) };
    }

    /// Releases the free pages of every arena to the OS.
    pub fn trim() {
        // SAFETY: malloc_trim takes no pointers; it locks each arena while it walks it.
        unsafe { libc::malloc_trim(0) };
    }
}

/// Elsewhere there is nothing to call.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod glibc {
    pub const AVAILABLE: bool = false;

    pub fn set_arena_max(_arenas: usize) {}

    pub fn trim() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resident_size_is_read_from_the_vm_rss_line() {
        let status =
            "Name:\tvexfs-operator\nVmHWM:\t   52000 kB\nVmRSS:\t   48128 kB\nThreads:\t4\n";
        assert_eq!(resident_bytes(status), Some(48128 * 1024));
        assert_eq!(resident_bytes("Name:\tx\n"), None);
        assert_eq!(resident_bytes("VmRSS:\tmany kB\n"), None);
    }

    #[test]
    fn the_first_tick_trims_and_later_ones_only_after_resident_memory_grew() {
        let mib = 1 << 20;
        assert!(should_trim(None, Some(40 * mib)));
        assert!(should_trim(Some(40 * mib), None));
        assert!(!should_trim(Some(40 * mib), Some(40 * mib + 4096)));
        assert!(!should_trim(Some(40 * mib), Some(30 * mib)));
        assert!(should_trim(Some(40 * mib), Some(41 * mib)));
    }

    #[test]
    fn no_interval_means_no_task() {
        assert!(start(Duration::ZERO, CancellationToken::new()).is_none());
    }

    /// Frees 64 MiB of small allocations behind one that stays (so glibc cannot give them back
    /// by shrinking its heap's top) and checks that a trim returns them.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn a_trim_returns_freed_pages_below_a_live_allocation() {
        let chunks: Vec<Vec<u8>> = (0..16 * 1024).map(|_| vec![1_u8; 4096]).collect();
        let pinned = vec![1_u8; 4096];
        drop(chunks);
        let before = current_resident_bytes().expect("VmRSS");
        glibc::trim();
        let after = current_resident_bytes().expect("VmRSS");
        assert_eq!(pinned.len(), 4096);
        assert!(
            before.saturating_sub(after) > 32 << 20,
            "resident {before} bytes before the trim, {after} after"
        );
    }
}
