//! Whether a phase is worth spreading over the compute pool.

use crate::udp::config::UdpConfig;
use std::time::Duration;

/// Whether a phase with `tasks` tasks over `peers` peers, whose previous run worked `work`,
/// runs as one task per port rather than one port after the other.
pub(super) fn runs_in_parallel(
    tasks: usize,
    peers: usize,
    work: Duration,
    config: &UdpConfig,
) -> bool {
    could_run_in_parallel(tasks, peers, config) && work >= config.parallel_min_work
}

/// Whether a phase with `tasks` tasks over `peers` peers runs in parallel when its work is
/// heavy enough; if not, its work need not be timed.
pub(super) fn could_run_in_parallel(tasks: usize, peers: usize, config: &UdpConfig) -> bool {
    tasks > 1 && peers >= config.parallel_min_peers
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_light_phase_runs_inline_and_a_heavy_one_in_parallel() {
        let config = UdpConfig::default();
        assert_eq!(config.parallel_min_work, MS);
        assert!(!runs_in_parallel(5, 256, MS / 2, &config));
        assert!(runs_in_parallel(5, 256, MS, &config));
    }

    #[test]
    fn few_peers_or_one_task_never_run_in_parallel() {
        let config = UdpConfig::default();
        assert!(!runs_in_parallel(5, config.parallel_min_peers - 1, 100 * MS, &config));
        assert!(!runs_in_parallel(1, 4_096, 100 * MS, &config));
    }

    #[test]
    fn zero_thresholds_always_run_in_parallel() {
        let config = UdpConfig {
            parallel_min_peers: 0,
            parallel_min_work: Duration::ZERO,
            ..UdpConfig::default()
        };
        assert!(runs_in_parallel(2, 0, Duration::ZERO, &config));
    }
}
