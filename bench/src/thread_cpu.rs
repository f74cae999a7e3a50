//! The CPU time of the calling thread, which the benchmarks read beside wall time.

use std::time::Duration;

/// CPU time the calling thread has run, from Linux's `/proc/thread-self/schedstat`
/// (nanoseconds on CPU). On a shared machine it measures the per-core cost even when other
/// processes steal the CPU; `None` where procfs is missing.
pub fn thread_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}
