//! Round-trip time estimation (RFC 6298) and the retransmission timeout derived from it.

use std::time::Duration;

use super::config::SessionConfig;

/// Smoothed RTT and its variance, updated from ack samples.
///
/// Invariant: [`RttEstimator::rto`] is always within `min_rto..=max_rto`.
#[derive(Debug, Clone)]
pub(crate) struct RttEstimator {
    smoothed: Duration,
    variance: Duration,
    has_sample: bool,
    ack_delay: Duration,
    min_rto: Duration,
    max_rto: Duration,
}

impl RttEstimator {
    /// An estimator that assumes `config.initial_rtt` until the first sample arrives.
    pub(crate) fn new(config: &SessionConfig) -> RttEstimator {
        let initial = config.initial_rtt;
        RttEstimator {
            smoothed: initial,
            variance: initial / 2,
            has_sample: false,
            ack_delay: config.max_ack_delay,
            min_rto: config.min_rto,
            max_rto: config.max_rto.max(config.min_rto),
        }
    }

    /// Folds one measured round trip into the estimate.
    pub(crate) fn sample(&mut self, rtt: Duration) {
        if !self.has_sample {
            self.smoothed = rtt;
            self.variance = rtt / 2;
            self.has_sample = true;
            return;
        }
        let diff = self.smoothed.abs_diff(rtt);
        self.variance = (self.variance * 3 + diff) / 4;
        self.smoothed = (self.smoothed * 7 + rtt) / 8;
    }

    /// The smoothed round-trip time.
    pub(crate) fn smoothed(&self) -> Duration {
        self.smoothed
    }

    /// The round-trip time variance.
    pub(crate) fn variance(&self) -> Duration {
        self.variance
    }

    /// How long to wait for an ack before resending: `srtt + 4 * rttvar + max_ack_delay`
    /// (the peer may hold its ack that long), clamped to `min_rto..=max_rto`.
    pub(crate) fn rto(&self) -> Duration {
        let granular = (self.variance * 4).max(Duration::from_millis(1));
        (self.smoothed + granular + self.ack_delay).clamp(self.min_rto, self.max_rto)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converges_to_a_steady_rtt_and_clamps_the_timeout() {
        let ms = Duration::from_millis;
        let config = |initial| SessionConfig {
            initial_rtt: initial,
            max_ack_delay: ms(5),
            min_rto: ms(20),
            max_rto: ms(2000),
            ..SessionConfig::default()
        };
        let mut rtt = RttEstimator::new(&config(ms(100)));
        assert_eq!(rtt.rto(), ms(305));
        for _ in 0..200 {
            rtt.sample(ms(40));
        }
        assert!(rtt.smoothed().abs_diff(ms(40)) < ms(1));
        assert_eq!(rtt.rto(), ms(46));
        let mut tiny = RttEstimator::new(&config(ms(1)));
        tiny.sample(Duration::ZERO);
        assert_eq!(tiny.rto(), ms(20));
    }
}
