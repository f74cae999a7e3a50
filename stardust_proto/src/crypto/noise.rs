//! The Noise handshake's parameters, and how snow is built for them.
//!
//! One pattern for every secure connection: `IK`, because the connecting side always knows
//! the listener's static key before it sends its first handshake message (pinned, or learnt
//! from the listener's `retry`), and it gives one round trip, identity hiding for the client
//! and mutual authentication. A client without an identity of its own presents a fresh
//! random key for each connection and says so (`anonymous`), so there is one code path.

use snow::params::{CipherChoice, DHChoice, HashChoice};
use snow::resolvers::{CryptoResolver, DefaultResolver};
use snow::types::{Cipher, Dh, Hash, Random};
use snow::{Builder, HandshakeState};

use super::entropy::{Entropy, SeededEntropy};
use super::keys::{PublicKey, StaticKeypair};

/// The Noise protocol name of every secure Stardust handshake.
pub const NOISE_PATTERN: &str = "Noise_IK_25519_ChaChaPoly_BLAKE2s";

/// The bytes that open the prologue.
pub const PROLOGUE_LABEL: &[u8; 11] = b"stardust-v2";

/// Bytes of the prologue.
pub const PROLOGUE_LEN: usize = 39;

/// The prologue both sides mix into the handshake: [`PROLOGUE_LABEL`], then the request's
/// transport identifier (u64), transport version (u32), protocol hash (u64) and attempt id
/// (u64), all big-endian: [`PROLOGUE_LEN`] bytes. Every clear member of a request that
/// matters is thereby authenticated by its Noise message: a copy with any of them changed
/// does not read.
pub fn prologue(
    transport_id: u64,
    version: u32,
    protocol_hash: u64,
    id: u64,
) -> [u8; PROLOGUE_LEN] {
    let mut out = [0; PROLOGUE_LEN];
    out[..11].copy_from_slice(PROLOGUE_LABEL);
    out[11..19].copy_from_slice(&transport_id.to_be_bytes());
    out[19..23].copy_from_slice(&version.to_be_bytes());
    out[23..31].copy_from_slice(&protocol_hash.to_be_bytes());
    out[31..39].copy_from_slice(&id.to_be_bytes());
    out
}

/// The connecting side's handshake: its static key `local`, the listener's `listener`, and
/// `ephemeral_seed` (32 random bytes) for its ephemeral key.
pub(crate) fn initiator(
    local: &StaticKeypair,
    listener: &PublicKey,
    prologue: &[u8],
    ephemeral_seed: [u8; 32],
) -> Result<HandshakeState, snow::Error> {
    builder(ephemeral_seed)?
        .local_private_key(local.private_bytes())?
        .remote_public_key(listener.as_bytes())?
        .prologue(prologue)?
        .build_initiator()
}

/// The listening side's handshake, for one request: its static key `local`, the prologue
/// built from the request's clear fields, and `ephemeral_seed` for its ephemeral key.
pub(crate) fn responder(
    local: &StaticKeypair,
    prologue: &[u8],
    ephemeral_seed: [u8; 32],
) -> Result<HandshakeState, snow::Error> {
    builder(ephemeral_seed)?
        .local_private_key(local.private_bytes())?
        .prologue(prologue)?
        .build_responder()
}

fn builder(ephemeral_seed: [u8; 32]) -> Result<Builder<'static>, snow::Error> {
    let params = NOISE_PATTERN.parse()?;
    Ok(Builder::with_resolver(params, Box::new(SeededResolver::new(ephemeral_seed))))
}

/// snow's own primitives, with randomness from a seed the caller drew: the engine takes its
/// randomness from its caller, never from the operating system (snow is built without its
/// own generator). Public for benchmarks and tools that run bare snow beside the engine.
pub struct SeededResolver {
    seed: [u8; 32],
}

impl SeededResolver {
    /// A resolver whose generator draws the stream of `seed` (see [`SeededEntropy`]).
    pub fn new(seed: [u8; 32]) -> Self {
        Self { seed }
    }
}

struct SeededRandom(SeededEntropy);

impl Random for SeededRandom {
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), snow::Error> {
        self.0.fill(dest);
        Ok(())
    }
}

impl CryptoResolver for SeededResolver {
    fn resolve_rng(&self) -> Option<Box<dyn Random>> {
        Some(Box::new(SeededRandom(SeededEntropy::new(self.seed))))
    }

    fn resolve_dh(&self, choice: &DHChoice) -> Option<Box<dyn Dh>> {
        DefaultResolver.resolve_dh(choice)
    }

    fn resolve_hash(&self, choice: &HashChoice) -> Option<Box<dyn Hash>> {
        DefaultResolver.resolve_hash(choice)
    }

    fn resolve_cipher(&self, choice: &CipherChoice) -> Option<Box<dyn Cipher>> {
        DefaultResolver.resolve_cipher(choice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handshake_completes_and_both_sides_split_the_same_keys() {
        let mut entropy = SeededEntropy::from_u64(9);
        let (client, listener) =
            (StaticKeypair::generate(&mut entropy), StaticKeypair::generate(&mut entropy));
        let p = prologue(1, 2, 3, 4);
        let mut i = initiator(&client, &listener.public(), &p, entropy.bytes32()).unwrap();
        let mut r = responder(&listener, &p, entropy.bytes32()).unwrap();
        let (mut m1, mut m2, mut out) = ([0; 256], [0; 256], [0; 256]);
        let n1 = i.write_message(b"hi", &mut m1).unwrap();
        let got = r.read_message(&m1[..n1], &mut out).unwrap();
        assert_eq!(&out[..got], b"hi");
        assert_eq!(r.get_remote_static(), Some(&client.public().0[..]));
        let n2 = r.write_message(b"ok", &mut m2).unwrap();
        let got = i.read_message(&m2[..n2], &mut out).unwrap();
        assert_eq!(&out[..got], b"ok");
        let (i_send, i_recv) = i.dangerously_get_raw_split();
        let (r_first, r_second) = r.dangerously_get_raw_split();
        assert_eq!((i_send, i_recv), (r_first, r_second), "split gives (initiator→, ←initiator)");
    }

    #[test]
    fn a_prologue_mismatch_fails_the_first_message() {
        let mut entropy = SeededEntropy::from_u64(10);
        let (client, listener) =
            (StaticKeypair::generate(&mut entropy), StaticKeypair::generate(&mut entropy));
        let mut i =
            initiator(&client, &listener.public(), &prologue(1, 2, 3, 4), entropy.bytes32())
                .unwrap();
        let mut r = responder(&listener, &prologue(1, 2, 3, 5), entropy.bytes32()).unwrap();
        let (mut m1, mut out) = ([0; 256], [0; 256]);
        let n1 = i.write_message(b"", &mut m1).unwrap();
        assert!(r.read_message(&m1[..n1], &mut out).is_err());
    }
}
