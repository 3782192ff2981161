//! Whether a transform has a second core's worth of CPU time, for functions that can split
//! their work over two threads (pii-redactor, xml-to-json). One rule for both, because it
//! is a fact of the host (Lambda's memory-to-CPU ratio), not of a transform.

use std::sync::OnceLock;

/// Memory (MB) from which a Lambda function gets two vCPUs' worth of CPU time: Lambda gives
/// CPU time in proportion to memory, one vCPU's worth at 1 769 MB.
pub const TWO_VCPUS_MB: u32 = 2 * 1769;

/// Whether a second thread can run beside this one: the machine (or the cgroup's CPU quota)
/// offers two cores and, on Lambda (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`), the function's memory
/// buys two vCPUs' worth of time ([`TWO_VCPUS_MB`]). Below that both threads share less than
/// one vCPU's more, and a second thread only adds its overhead. Asked once per process: the
/// core count reads the cgroup's quota files.
pub fn second_vcpu() -> bool {
    static SECOND: OnceLock<bool> = OnceLock::new();
    *SECOND.get_or_init(|| {
        second_vcpu_with(
            std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
                .ok()
                .as_deref(),
            || std::thread::available_parallelism().map_or(1, |n| n.get()),
        )
    })
}

/// [`second_vcpu`] for a given memory setting and core count; the cores are only asked
/// when the memory allows.
fn second_vcpu_with(lambda_memory_mb: Option<&str>, cores: impl FnOnce() -> usize) -> bool {
    let memory_allows = lambda_memory_mb
        .and_then(|mb| mb.trim().parse::<u32>().ok())
        .is_none_or(|mb| mb >= TWO_VCPUS_MB);
    memory_allows && cores() >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_vcpu_needs_two_cores_and_enough_lambda_memory() {
        assert!(second_vcpu_with(None, || 2));
        assert!(!second_vcpu_with(None, || 1));
        assert!(!second_vcpu_with(Some("1024"), || 2));
        assert!(!second_vcpu_with(Some("1769"), || 2));
        assert!(!second_vcpu_with(Some("3537"), || 2));
        assert!(second_vcpu_with(Some("3538"), || 2));
        assert!(second_vcpu_with(Some("10240"), || 2));
        assert!(!second_vcpu_with(Some("10240"), || 1));
        // Too little memory: the cgroup files are not read.
        assert!(!second_vcpu_with(Some("128"), || unreachable!()));
        // An unreadable memory size changes nothing.
        assert!(second_vcpu_with(Some("lots"), || 2));
    }
}
