//! The pure decision of the conditioner: what happens to one datagram, given the conditions,
//! a random generator and the time. No I/O, no clock, no Bevy: seeded, it decides the same
//! way every run.

use std::time::{Duration, Instant};

use super::Conditions;

/// A small, fast, seedable generator (SplitMix64). Not for cryptography: it only decides
/// which datagrams a test network loses, so equal seeds must give equal runs.
#[derive(Debug, Clone)]
pub(crate) struct ConditionerRng {
    state: u64,
}

impl ConditionerRng {
    /// The generator for stream `stream` of `seed`: every port or link end of one App draws
    /// from its own stream, so adding one does not change what the others decide.
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        let mut mixer = Self { state: stream };
        let stream_key = mixer.next_u64();
        Self { state: seed ^ stream_key }
    }

    /// A generator seeded from the operating system's random source, for an App that asked
    /// for no seed; falls back to the clock if that source fails (the conditioner is a test
    /// tool, and a weaker seed beats refusing to run).
    pub(crate) fn from_os(stream: u64) -> Self {
        let seed = getrandom::u64().unwrap_or_else(|_| {
            let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
            since.map_or(0, |elapsed| elapsed.as_nanos() as u64)
        });
        Self::new(seed, stream)
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform draw in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Whether an event of probability `p` (clamped to `[0, 1]`) happens; draws nothing when
    /// `p` is zero, so a condition left at zero does not shift the other draws.
    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.unit() < p
    }

    /// A uniform offset in `[-jitter, +jitter]`, in nanoseconds.
    fn jitter_nanos(&mut self, jitter: Duration) -> i128 {
        let span = jitter.as_nanos() as i128;
        if span == 0 {
            return 0;
        }
        (self.unit() * (2 * span + 1) as f64) as i128 - span
    }
}

/// What becomes of one datagram: nothing (lost), or one or two copies, each due at its own
/// time. A copy due at or before the time of the decision goes through at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fate {
    /// How many copies go on: 0 (lost), 1, or 2 (duplicated).
    pub(crate) copies: u8,
    /// When each copy is due; only the first `copies` entries mean anything.
    pub(crate) due: [Instant; 2],
}

impl Fate {
    /// The due times of the copies that go on.
    pub(crate) fn copies(&self) -> &[Instant] {
        &self.due[..usize::from(self.copies)]
    }
}

/// Decides the fate of a datagram met at `now` under `conditions`: lost with probability
/// `loss`; otherwise duplicated with probability `duplicate`; each copy delayed by `latency`
/// plus a uniform offset in `[-jitter, +jitter]` (never below zero). Copies released in due
/// order are reordered whenever the jitter exceeds the gap between two datagrams.
pub(crate) fn decide(conditions: &Conditions, rng: &mut ConditionerRng, now: Instant) -> Fate {
    if rng.chance(conditions.loss_fraction()) {
        return Fate { copies: 0, due: [now; 2] };
    }
    let copies = if rng.chance(conditions.duplicate_fraction()) { 2 } else { 1 };
    let mut due = [now; 2];
    for slot in due.iter_mut().take(usize::from(copies)) {
        *slot = now + delay(conditions, rng);
    }
    Fate { copies, due }
}

/// `latency` plus the jitter drawn for one copy, never negative.
fn delay(conditions: &Conditions, rng: &mut ConditionerRng) -> Duration {
    let nanos = conditions.latency.as_nanos() as i128 + rng.jitter_nanos(conditions.jitter);
    Duration::from_nanos(nanos.clamp(0, u64::MAX as i128) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lossy(loss: f64) -> Conditions {
        Conditions { loss, ..Conditions::default() }
    }

    #[test]
    fn equal_seeds_decide_alike_and_streams_differ() {
        let conditions = Conditions {
            loss: 0.2,
            duplicate: 0.1,
            latency: Duration::from_millis(50),
            jitter: Duration::from_millis(10),
        };
        let now = Instant::now();
        let run = |seed, stream| {
            let mut rng = ConditionerRng::new(seed, stream);
            (0..1000).map(|_| decide(&conditions, &mut rng, now)).collect::<Vec<_>>()
        };
        assert_eq!(run(7, 0), run(7, 0));
        assert_ne!(run(7, 0), run(7, 1));
        assert_ne!(run(7, 0), run(8, 0));
    }

    #[test]
    fn twenty_percent_loss_loses_about_a_fifth() {
        let mut rng = ConditionerRng::new(42, 0);
        let now = Instant::now();
        let total = 100_000;
        let lost = (0..total).filter(|_| decide(&lossy(0.2), &mut rng, now).copies == 0).count();
        let fraction = lost as f64 / total as f64;
        assert!((0.19..=0.21).contains(&fraction), "lost {fraction}");
    }

    #[test]
    fn no_conditions_pass_everything_at_once() {
        let mut rng = ConditionerRng::new(1, 0);
        let now = Instant::now();
        for _ in 0..1000 {
            let fate = decide(&Conditions::default(), &mut rng, now);
            assert_eq!(fate.copies(), &[now]);
        }
    }

    #[test]
    fn full_loss_loses_everything_and_out_of_range_values_are_clamped() {
        let mut rng = ConditionerRng::new(3, 0);
        let now = Instant::now();
        assert!((0..1000).all(|_| decide(&lossy(1.0), &mut rng, now).copies == 0));
        assert!((0..1000).all(|_| decide(&lossy(7.0), &mut rng, now).copies == 0));
        assert!((0..1000).all(|_| decide(&lossy(-1.0), &mut rng, now).copies == 1));
        assert!((0..1000).all(|_| decide(&lossy(f64::NAN), &mut rng, now).copies == 1));
    }

    #[test]
    fn delays_stay_within_latency_plus_or_minus_jitter() {
        let conditions = Conditions {
            latency: Duration::from_millis(50),
            jitter: Duration::from_millis(10),
            duplicate: 0.5,
            ..Conditions::default()
        };
        let mut rng = ConditionerRng::new(9, 0);
        let now = Instant::now();
        let (mut early, mut late, mut doubled) = (false, false, 0);
        for _ in 0..10_000 {
            let fate = decide(&conditions, &mut rng, now);
            doubled += usize::from(fate.copies == 2);
            for due in fate.copies() {
                let delay = *due - now;
                assert!(delay >= Duration::from_millis(40) && delay <= Duration::from_millis(60));
                early |= delay < Duration::from_millis(42);
                late |= delay > Duration::from_millis(58);
            }
        }
        assert!(early && late, "the jitter spans its whole range");
        assert!((4_500..=5_500).contains(&doubled), "duplicated {doubled} of 10000");
    }

    #[test]
    fn jitter_larger_than_latency_never_goes_back_in_time() {
        let conditions = Conditions {
            latency: Duration::from_millis(5),
            jitter: Duration::from_millis(20),
            ..Conditions::default()
        };
        let mut rng = ConditionerRng::new(11, 0);
        let now = Instant::now();
        let fates: Vec<_> = (0..1000).map(|_| decide(&conditions, &mut rng, now)).collect();
        assert!(fates.iter().all(|fate| fate.due[0] >= now));
        assert!(fates.iter().any(|fate| fate.due[0] == now), "some copies go at once");
    }
}
