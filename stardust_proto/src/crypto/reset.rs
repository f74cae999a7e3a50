//! Stateless reset tokens: how a listener that lost a connection (it restarted) tells the
//! other side at once, in a way no one without its secret can forge.

use blake2::digest::consts::U16;
use blake2::digest::{FixedOutput, KeyInit, Mac};
use blake2::{Blake2s256, Blake2sMac, Digest};
use subtle::ConstantTimeEq;

use super::keys::StaticKeypair;
use crate::wire::sealed::{RESET_LEN, SEALED};

/// Bytes of a reset token.
pub const RESET_TOKEN_LEN: usize = 16;

/// The secret reset tokens are derived from: `BLAKE2s-256("stardust-reset-key" ‖ the
/// listener's static private key)`, so a listener that restarts with the same static key
/// (loaded from where it saved it) still recognises its old connections' ids.
#[derive(Clone, Copy)]
pub struct ResetKey([u8; 32]);

impl core::fmt::Debug for ResetKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ResetKey { .. }")
    }
}

impl ResetKey {
    /// The reset key of the listener whose static key pair is `identity`.
    pub fn from_identity(identity: &StaticKeypair) -> Self {
        let mut hash = Blake2s256::new();
        hash.update(b"stardust-reset-key");
        hash.update(identity.private_bytes());
        Self(hash.finalize().into())
    }

    /// The token of connection `cid`: `BLAKE2s-128(key, "stardust-reset" ‖ cid)`, cid
    /// big-endian. Sent to the client inside the encrypted handshake.
    pub fn token(&self, cid: u64) -> [u8; RESET_TOKEN_LEN] {
        // A 32-byte key: exactly BLAKE2s's key size.
        let mut mac = <Blake2sMac<U16> as KeyInit>::new(&self.0.into());
        mac.update(b"stardust-reset");
        mac.update(&cid.to_be_bytes());
        mac.finalize_fixed().into()
    }

    /// Writes the stateless reset for connection `cid` into `out` (cleared first): the
    /// marker, `cid`, two bytes of `filler`, the token; [`RESET_LEN`] bytes.
    pub fn write_reset(&self, cid: u64, filler: [u8; 2], out: &mut Vec<u8>) {
        out.clear();
        out.push(SEALED);
        out.extend_from_slice(&cid.to_be_bytes());
        out.extend_from_slice(&filler);
        out.extend_from_slice(&self.token(cid));
    }
}

/// Whether `datagram` is the stateless reset of connection `cid`, carrying `token` (compared
/// in constant time).
pub(crate) fn is_reset(datagram: &[u8], cid: u64, token: &[u8; RESET_TOKEN_LEN]) -> bool {
    datagram.len() == RESET_LEN
        && datagram[0] == SEALED
        && datagram[1..9] == cid.to_be_bytes()
        && bool::from(datagram[RESET_LEN - RESET_TOKEN_LEN..].ct_eq(token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SeededEntropy;

    #[test]
    fn a_reset_carries_the_token_of_its_connection_only() {
        let identity = StaticKeypair::generate(&mut SeededEntropy::from_u64(1));
        let key = ResetKey::from_identity(&identity);
        let mut reset = Vec::new();
        key.write_reset(42, [9, 9], &mut reset);
        assert_eq!(reset.len(), RESET_LEN);
        assert!(is_reset(&reset, 42, &key.token(42)));
        assert!(!is_reset(&reset, 42, &key.token(43)));
        assert!(!is_reset(&reset, 43, &key.token(42)), "the right token under another id");
        let restarted = ResetKey::from_identity(&identity);
        assert_eq!(restarted.token(42), key.token(42), "same identity, same tokens");
        let other =
            ResetKey::from_identity(&StaticKeypair::generate(&mut SeededEntropy::from_u64(2)));
        assert_ne!(other.token(42), key.token(42));
    }
}
