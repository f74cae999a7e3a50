//! Round-trip measurements: the samples of one or several runs, and their median and p99.

use std::time::Duration;

use crate::{Better, Row};

/// Result of a ping-pong latency measurement.
#[derive(Debug, Clone, Copy)]
pub struct Rtt {
    /// Median round-trip time.
    pub median: Duration,
    /// 99th percentile round-trip time.
    pub p99: Duration,
    /// Round trips timed.
    pub timed: usize,
    /// Round trips that timed out.
    pub lost: usize,
}

impl Rtt {
    /// The two table rows of this measurement, median and p99, in microseconds.
    pub fn rows(&self, name: &str, baseline: Option<&Rtt>) -> [Row; 2] {
        let micros = |d: Duration| d.as_secs_f64() * 1e6;
        [
            Row {
                name: format!("{name}, median RTT"),
                value: micros(self.median),
                unit: "us",
                baseline: baseline.map(|b| micros(b.median)),
                better: Better::Lower,
            },
            Row {
                name: format!("{name}, p99 RTT"),
                value: micros(self.p99),
                unit: "us",
                baseline: baseline.map(|b| micros(b.p99)),
                better: Better::Lower,
            },
        ]
    }

    /// The median and p99 of `samples`, with `lost` round trips that timed out.
    pub fn from_samples(mut samples: Vec<Duration>, lost: usize) -> Self {
        samples.sort_unstable();
        let at = |q: f64| {
            let index = ((samples.len() as f64 * q) as usize).min(samples.len().saturating_sub(1));
            samples.get(index).copied().unwrap_or_default()
        };
        Self { median: at(0.5), p99: at(0.99), timed: samples.len(), lost }
    }
}

/// Round-trip samples gathered over one or several runs, turned into an [`Rtt`] at the end:
/// runs of different measurements interleaved in rounds then see the same machine.
#[derive(Debug, Default, Clone)]
pub struct Trips {
    /// One per round trip timed.
    pub samples: Vec<Duration>,
    /// Round trips that timed out.
    pub lost: usize,
}

impl Trips {
    /// Adds the samples and losses of another run.
    pub fn extend(&mut self, run: Trips) {
        self.samples.extend(run.samples);
        self.lost += run.lost;
    }

    /// The median and p99 of every sample so far.
    pub fn rtt(&self) -> Rtt {
        Rtt::from_samples(self.samples.clone(), self.lost)
    }
}
