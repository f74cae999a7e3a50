//! FNV-1a 64-bit: the one hash Stardust puts on the wire (channel ids, protocol hash).
//!
//! Chosen because it is a `const fn`, has no dependency, gives the same value on every
//! machine and compiler, and takes five lines to reimplement in any language.
//! It is not a cryptographic hash and is never used as one.

/// FNV-1a 64-bit over `bytes`.
pub const fn fnv1a_64(bytes: &[u8]) -> u64 {
    fnv1a_64_continue(FNV_OFFSET_BASIS, bytes)
}

/// FNV-1a 64-bit: the offset basis, the state before any byte.
pub const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Continues an FNV-1a 64-bit hash from `state` over `bytes`.
pub const fn fnv1a_64_continue(mut state: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        state ^= bytes[i] as u64;
        state = state.wrapping_mul(FNV_PRIME);
        i += 1;
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_reference_vectors() {
        // Reference vectors from the FNV specification.
        assert_eq!(fnv1a_64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn continuing_equals_hashing_the_concatenation() {
        assert_eq!(fnv1a_64_continue(fnv1a_64(b"foo"), b"bar"), fnv1a_64(b"foobar"));
    }
}
