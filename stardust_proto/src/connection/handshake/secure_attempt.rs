//! The Noise side of a secure attempt: the client's keys, and one Noise handshake per
//! listener key a retry presented, so that going back to a key reuses its message.

use snow::HandshakeState;

use crate::connection::params::SecureClient;
use crate::connection::zero_stats::ZeroDropReason;
use crate::crypto::noise::initiator;
use crate::crypto::{Entropy, PublicKey, SeededEntropy, StaticKeypair};
use crate::wire::payload::ClientHello;

/// The Noise side of a secure attempt.
pub(super) struct SecureAttempt {
    identity: StaticKeypair,
    anonymous: bool,
    app: Vec<u8>,
    pub(super) pinned: Option<PublicKey>,
    /// The Noise handshakes started, one per listener key a retry presented (at most
    /// [`MAX_NOISE_KEYS`]), the current one last. Going back to a key reuses its message, so
    /// a forged retry naming another key cannot make the client start a second handshake
    /// (and take a second place at the listener) for the key it already used.
    noise: Vec<NoiseStart>,
    /// Seeds of the ephemeral keys of successive Noise messages.
    seeds: SeededEntropy,
}

/// One Noise handshake of an attempt: the listener key it is for, its first message, and the
/// state that reads the listener's answer.
pub(super) struct NoiseStart {
    pub(super) key: PublicKey,
    message: Vec<u8>,
    pub(super) state: HandshakeState,
}

/// Most Noise handshakes one attempt keeps (one per listener key it was shown).
const MAX_NOISE_KEYS: usize = 4;

impl SecureAttempt {
    /// The attempt of `client` (with a fresh static key if it has none: anonymous), drawing
    /// its keys' randomness from `entropy`.
    pub(super) fn new(client: SecureClient, entropy: &mut dyn Entropy) -> Self {
        let anonymous = client.identity.is_none();
        let identity = client.identity.unwrap_or_else(|| StaticKeypair::generate(&mut *entropy));
        SecureAttempt {
            identity,
            anonymous,
            app: client.app_payload,
            pinned: client.listener_key,
            noise: Vec::new(),
            seeds: SeededEntropy::new(entropy.bytes32()),
        }
    }

    /// The first Noise message for the listener whose key is `listener`, with `prologue`:
    /// the one made for that key earlier in this attempt (now the current one again), or a
    /// new handshake's. `None` only if snow fails to write it (unreachable with its own
    /// primitives and a payload of at most 512 bytes); the request then only asks for a
    /// retry, and times out.
    pub(super) fn message_for(&mut self, listener: PublicKey, prologue: &[u8]) -> Option<Vec<u8>> {
        if let Some(index) = self.noise.iter().position(|start| start.key == listener) {
            let start = self.noise.remove(index);
            let message = start.message.clone();
            self.noise.push(start);
            return Some(message);
        }
        let seed = self.seeds.bytes32();
        let hello = ClientHello { anonymous: self.anonymous, app: self.app.clone() };
        let mut message = vec![0; 1024];
        let mut state = initiator(&self.identity, &listener, prologue, seed).ok()?;
        let len = state.write_message(&hello.encode(), &mut message).ok()?;
        message.truncate(len);
        if self.noise.len() >= MAX_NOISE_KEYS {
            self.noise.remove(0);
        }
        self.noise.push(NoiseStart { key: listener, message: message.clone(), state });
        Some(message)
    }

    /// The key of the current Noise message.
    pub(super) fn current_key(&self) -> Option<PublicKey> {
        self.noise.last().map(|start| start.key)
    }

    /// Reads the listener's second Noise message with whichever handshake it answers, newest
    /// first: its payload, and the key that handshake was for.
    pub(super) fn read_answer(
        &mut self,
        message: &[u8],
    ) -> Result<(Vec<u8>, &mut NoiseStart), ZeroDropReason> {
        let mut payload = vec![0; message.len()];
        let index = (0..self.noise.len())
            .rev()
            .find_map(|i| {
                let len = self.noise[i].state.read_message(message, &mut payload).ok()?;
                Some((i, len))
            })
            .map(|(i, len)| {
                payload.truncate(len);
                i
            })
            .ok_or(ZeroDropReason::Unauthenticated)?;
        Ok((payload, &mut self.noise[index]))
    }
}

impl core::fmt::Debug for SecureAttempt {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let key = self.current_key();
        write!(f, "SecureAttempt {{ identity: {}, listener: {key:?} }}", self.identity.public())
    }
}
