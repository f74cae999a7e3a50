//! Randomness for keys, connection ids and cookie secrets, passed in by the caller.

use blake2::{Blake2s256, Digest};

/// A source of cryptographically secure random bytes.
///
/// The engine never draws randomness itself (that would make it untestable): whoever drives
/// it passes an `Entropy`. The UDP transport passes the operating system's generator; tests
/// and fuzzers pass a [`SeededEntropy`], which makes every handshake reproducible.
pub trait Entropy: Send + Sync {
    /// Fills `bytes` with random bytes.
    fn fill(&mut self, bytes: &mut [u8]);

    /// 32 random bytes.
    fn bytes32(&mut self) -> [u8; 32] {
        let mut bytes = [0; 32];
        self.fill(&mut bytes);
        bytes
    }

    /// A random `u64`.
    fn u64(&mut self) -> u64 {
        let mut bytes = [0; 8];
        self.fill(&mut bytes);
        u64::from_le_bytes(bytes)
    }
}

/// A deterministic generator: BLAKE2s-256 of a 32-byte seed and a block counter.
///
/// As unpredictable as its seed: give it 32 bytes from the operating system and it is a
/// sound generator; give it a fixed seed (tests, fuzzing, the test vectors of
/// `docs/PROTOCOL.md`) and every run draws the same bytes.
#[derive(Debug, Clone)]
pub struct SeededEntropy {
    seed: [u8; 32],
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl SeededEntropy {
    /// A generator whose output is determined by `seed`.
    pub fn new(seed: [u8; 32]) -> Self {
        Self { seed, counter: 0, block: [0; 32], used: 32 }
    }

    /// A generator seeded with `seed` repeated: for tests that need a few distinct streams.
    pub fn from_u64(seed: u64) -> Self {
        let mut bytes = [0; 32];
        for chunk in bytes.chunks_mut(8) {
            chunk.copy_from_slice(&seed.to_le_bytes());
        }
        Self::new(bytes)
    }
}

impl Entropy for SeededEntropy {
    fn fill(&mut self, bytes: &mut [u8]) {
        for byte in bytes {
            if self.used == self.block.len() {
                let mut hasher = Blake2s256::new();
                hasher.update(b"stardust seeded entropy");
                hasher.update(self.seed);
                hasher.update(self.counter.to_le_bytes());
                self.block = hasher.finalize().into();
                self.counter += 1;
                self.used = 0;
            }
            *byte = self.block[self.used];
            self.used += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_bytes_and_another_seed_others() {
        let (mut a, mut b, mut c) =
            (SeededEntropy::from_u64(1), SeededEntropy::from_u64(1), SeededEntropy::from_u64(2));
        let (mut x, mut y, mut z) = ([0; 100], [0; 100], [0; 100]);
        a.fill(&mut x);
        b.fill(&mut y[..7]);
        b.fill(&mut y[7..]);
        c.fill(&mut z);
        assert_eq!(x, y, "chunking does not change the stream");
        assert_ne!(x, z);
        assert_ne!(x[..32], x[32..64], "blocks differ");
    }
}
