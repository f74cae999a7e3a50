//! X25519 static keys: what a listener proves it holds, and what a client may present.

use core::fmt;
use core::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use snow::params::DHChoice;
use snow::resolvers::{CryptoResolver, DefaultResolver};

use super::entropy::Entropy;

/// An X25519 public key: a listener's identity, or a client's.
///
/// Its text form (`Display`, `FromStr`) is 44 characters of standard base64 with padding, as
/// WireGuard writes keys, e.g. `f0vyN3Mv0yR3ntXTJ3xCgnB3cTk+HYqL0dJ3mTZg6hA=`: short enough to
/// print, paste on a command line or put in a config file.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&BASE64.encode(self.0))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

/// Why text is not a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyParseError {
    /// Not standard base64.
    #[error(
        "a key is 44 characters of standard base64 (A-Z a-z 0-9 + /, ending in =); check for a cut or changed character"
    )]
    NotBase64,
    /// Base64 of another length than 32 bytes.
    #[error("a key is 32 bytes, this text holds {0}; copy the whole key")]
    WrongLength(usize),
    /// 32 bytes that are not a point of the curve the key is for (an Ed25519 verifying key).
    #[error(
        "these 32 bytes are not a valid Ed25519 verifying key; copy the key the backend's TicketSigner::verifying_key gives"
    )]
    NotOnCurve,
}

impl FromStr for PublicKey {
    type Err = KeyParseError;

    fn from_str(text: &str) -> Result<Self, KeyParseError> {
        decode_key(text).map(PublicKey)
    }
}

fn decode_key(text: &str) -> Result<[u8; 32], KeyParseError> {
    let bytes = BASE64.decode(text.trim()).map_err(|_| KeyParseError::NotBase64)?;
    let len = bytes.len();
    bytes.try_into().map_err(|_| KeyParseError::WrongLength(len))
}

/// An X25519 key pair held for a long time: a listener's identity (clients pin its public
/// half), or a client's (a listener's accept policy may allow it).
///
/// `Debug` never shows the private half; [`private_text`](Self::private_text) is the only way
/// to read it, for saving it.
#[derive(Clone, PartialEq, Eq)]
pub struct StaticKeypair {
    private: [u8; 32],
    public: PublicKey,
}

impl StaticKeypair {
    /// A fresh key pair from `entropy`.
    pub fn generate(entropy: &mut dyn Entropy) -> Self {
        Self::from_private(entropy.bytes32())
    }

    /// The key pair whose private half is `private` (any 32 bytes: X25519 clamps them).
    pub fn from_private(private: [u8; 32]) -> Self {
        let public = match DefaultResolver.resolve_dh(&DHChoice::Curve25519) {
            Some(mut dh) => {
                dh.set(&private);
                let mut public = [0; 32];
                public.copy_from_slice(&dh.pubkey()[..32]);
                public
            }
            // Unreachable: the crate is built with snow's Curve25519 resolver.
            None => [0; 32],
        };
        Self { private, public: PublicKey(public) }
    }

    /// Reads a private key written by [`private_text`](Self::private_text).
    pub fn from_private_text(text: &str) -> Result<Self, KeyParseError> {
        decode_key(text).map(Self::from_private)
    }

    /// The private half in text form (base64, as a public key): what to save.
    pub fn private_text(&self) -> String {
        BASE64.encode(self.private)
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        self.public
    }

    pub(crate) fn private_bytes(&self) -> &[u8; 32] {
        &self.private
    }
}

impl fmt::Debug for StaticKeypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StaticKeypair {{ public: {} }}", self.public)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SeededEntropy;

    #[test]
    fn keys_round_trip_through_their_text_form() {
        let pair = StaticKeypair::generate(&mut SeededEntropy::from_u64(5));
        let text = pair.public().to_string();
        assert_eq!(text.len(), 44);
        assert_eq!(text.parse::<PublicKey>(), Ok(pair.public()));
        let again = StaticKeypair::from_private_text(&pair.private_text()).unwrap();
        assert_eq!(again, pair);
        assert!(!format!("{pair:?}").contains(&pair.private_text()), "Debug shows the secret");
    }

    #[test]
    fn bad_text_says_what_is_wrong() {
        assert_eq!("not a key!".parse::<PublicKey>(), Err(KeyParseError::NotBase64));
        assert_eq!("AAAA".parse::<PublicKey>(), Err(KeyParseError::WrongLength(3)));
    }

    /// RFC 7748, section 6.1: Alice's private key gives Alice's public key.
    #[test]
    fn the_public_half_is_x25519_of_the_private_half() {
        let private = hex32("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        let public = hex32("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        assert_eq!(StaticKeypair::from_private(private).public(), PublicKey(public));
    }

    fn hex32(text: &str) -> [u8; 32] {
        let mut out = [0; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }
}
