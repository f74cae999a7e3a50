//! Initial sequence numbers for handshakes: unpredictable enough that a stale or spoofed
//! packet rarely lands in a new connection's window, with no dependency.

use std::time::{SystemTime, UNIX_EPOCH};

/// A xorshift64* generator seeded from the clock and a caller-given salt (e.g. a port).
///
/// Not cryptographic: sequence numbers only need to differ between attempts and Apps.
#[derive(Debug, Clone)]
pub(crate) struct SeqGenerator {
    state: u64,
}

impl SeqGenerator {
    /// Seeds from the wall clock's nanoseconds mixed with `salt`.
    pub(crate) fn from_time(salt: u64) -> Self {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        Self::from_seed(nanos as u64 ^ salt.rotate_left(32))
    }

    /// A generator with a fixed seed (any value; zero is remapped).
    pub(crate) fn from_seed(seed: u64) -> Self {
        // SplitMix64 finaliser spreads similar seeds; xorshift needs a non-zero state.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Self { state: if z == 0 { 0x2545_F491_4F6C_DD1D } else { z } }
    }

    /// The next 16-bit value.
    pub(crate) fn next_u16(&mut self) -> u16 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 48) as u16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_vary_and_cover_the_range() {
        let mut generator = SeqGenerator::from_seed(0);
        let values: Vec<u16> = (0..1000).map(|_| generator.next_u16()).collect();
        let distinct: std::collections::HashSet<_> = values.iter().collect();
        assert!(distinct.len() > 980, "only {} distinct values of 1000", distinct.len());
        assert!(values.iter().any(|&v| v > 0xF000) && values.iter().any(|&v| v < 0x1000));
    }

    #[test]
    fn different_seeds_give_different_sequences() {
        let a: Vec<u16> = {
            let mut g = SeqGenerator::from_seed(1);
            (0..8).map(|_| g.next_u16()).collect()
        };
        let b: Vec<u16> = {
            let mut g = SeqGenerator::from_seed(2);
            (0..8).map(|_| g.next_u16()).collect()
        };
        assert_ne!(a, b);
    }
}
