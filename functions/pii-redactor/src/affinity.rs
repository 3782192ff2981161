//! Keeps the search worker off the caller's CPU (`crate::split`).
//!
//! On the 2-vCPU VM of the figures a woken or new thread was often queued behind its waker on
//! the same vCPU while the other vCPU idled (`kernel.sched_vcpu_pack`, run records of
//! 2026-12-05 and 2026-12-06), so the two parts of a block ran one after the other. Allowing
//! the worker every CPU of the process but the one the caller is on makes the scheduler run
//! it on another one; the caller itself is never restricted. Linux only (elsewhere a no-op).

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

/// The CPUs a thread was allowed when it started, to restrict it from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cpus {
    #[cfg(target_os = "linux")]
    allowed: Option<rustix::thread::CpuSet>,
}

impl Cpus {
    /// The calling thread's CPUs.
    pub(crate) fn of_this_thread() -> Cpus {
        Cpus {
            #[cfg(target_os = "linux")]
            allowed: rustix::thread::sched_getaffinity(None).ok(),
        }
    }

    /// Lets the calling thread run on every one of these CPUs except `cpu`, if that leaves
    /// one (else on all of them). Failure is harmless (the thread keeps its CPUs), so it is
    /// ignored.
    pub(crate) fn avoid(&self, cpu: usize) {
        #[cfg(target_os = "linux")]
        if let Some(mut set) = self.allowed {
            if set.is_set(cpu) && set.count() > 1 {
                set.unset(cpu);
            }
            let _ = rustix::thread::sched_setaffinity(None, &set);
        }
        #[cfg(not(target_os = "linux"))]
        let _ = cpu;
    }
}
