//! Moves the search worker off the caller's CPU when the two share one (`crate::split`).
//!
//! On 2-vCPU VMs a new or woken worker was often queued behind the caller on the same vCPU
//! while the other vCPU idled, for several milliseconds until the load balancer moved it
//! (`perf sched timehist`, run record 2026-12-06): the two parts of a block then ran one after
//! the other. When the worker finds itself on the CPU the caller sent its part from, it allows
//! itself every other CPU, which makes Linux move it at once, and then allows all of them
//! again. The restriction is not kept: a worker pinned away from the caller's CPU shared its
//! vCPU with another process while the caller's vCPU had time to spare (tried and dropped in
//! an earlier session). And it moves only when another CPU is free: with a busy process on
//! the other vCPU, the worker moved there ran in that process's gaps and dense 5 MB took
//! 47.6 ms instead of the 26.8 ms of the two threads taking turns on one vCPU. "Free" is read
//! from the system's count of runnable threads (`/proc/loadavg`): at most one per CPU, the
//! caller and the worker included. Linux only; elsewhere, and on any failure, nothing
//! happens.

/// The CPU the calling thread runs on.
pub(crate) fn current_cpu() -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        Some(rustix::thread::sched_getcpu())
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// If the calling thread runs on `cpu`, moves it to another of its CPUs (if it has one).
pub(crate) fn step_off(cpu: usize) {
    #[cfg(target_os = "linux")]
    {
        use rustix::thread::{sched_getaffinity, sched_getcpu, sched_setaffinity};
        if sched_getcpu() != cpu {
            return;
        }
        let Ok(all) = sched_getaffinity(None) else {
            return;
        };
        if !all.is_set(cpu) || all.count() < 2 || runnable().is_none_or(|n| n > all.count()) {
            return;
        }
        let mut others = all;
        others.unset(cpu);
        // The move happens within this call; then every CPU is allowed again.
        if sched_setaffinity(None, &others).is_ok() {
            let _ = sched_setaffinity(None, &all);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cpu;
}

/// Threads runnable on the whole system now (the fourth field of `/proc/loadavg`,
/// `runnable/total`), the caller's included.
#[cfg(target_os = "linux")]
fn runnable() -> Option<u32> {
    let loadavg = std::fs::read_to_string("/proc/loadavg").ok()?;
    let field = loadavg.split_whitespace().nth(3)?;
    field.split('/').next()?.parse().ok()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use rustix::thread::sched_getaffinity;

    use super::*;

    #[test]
    fn runnable_threads_include_this_one() {
        assert!(runnable().is_some_and(|n| n >= 1));
    }

    /// Whether or not the thread moves, it keeps every CPU it had: the restriction is never
    /// left behind (a lasting one was what made the earlier attempt slow on a busy machine).
    #[test]
    fn stepping_off_leaves_every_cpu_allowed() {
        let before = sched_getaffinity(None).unwrap();
        for _ in 0..20 {
            let cpu = current_cpu().unwrap();
            step_off(cpu);
            assert!(sched_getaffinity(None).unwrap() == before);
        }
    }
}
