//! Backend tickets: a game's backend (matchmaker, login service) signs a short-lived ticket
//! for one listener; the client presents it in its handshake; the listener admits each
//! ticket once.
//!
//! ```text
//! ticket    = 0x01  listener_key[32]  expires:u64  nonce[16]  data_len:u16  data  signature[64]
//! signature = Ed25519(backend key, "stardust-ticket-v1" ‖ every byte before the signature)
//! ```
//! `expires` is in seconds since the Unix epoch; integers big-endian.

use std::collections::HashMap;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use super::entropy::Entropy;
use super::keys::{KeyParseError, PublicKey};

/// Most bytes of application data a ticket carries.
pub const TICKET_MAX_DATA: usize = 256;
const VERSION: u8 = 1;
const CONTEXT: &[u8] = b"stardust-ticket-v1";
const FIXED: usize = 1 + 32 + 8 + 16 + 2;
const SIGNATURE_LEN: usize = 64;

/// A verified ticket's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// The listener it admits to.
    pub listener: PublicKey,
    /// When it stops admitting, in seconds since the Unix epoch.
    pub expires: u64,
    /// What makes it unique; each is admitted once.
    pub nonce: [u8; 16],
    /// The backend's data for the listener (a player id, a match id…).
    pub data: Vec<u8>,
}

/// Why a ticket was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TicketError {
    /// Not a ticket of this format.
    #[error("not a ticket: wrong length, version or data length")]
    Malformed,
    /// The signature is not the backend's.
    #[error("the ticket is not signed by the backend this listener trusts")]
    BadSignature,
    /// Signed for another listener.
    #[error("the ticket was issued for another listener")]
    WrongListener,
    /// Past its expiry.
    #[error("the ticket has expired; ask the backend for a new one")]
    Expired,
    /// Already admitted once.
    #[error("the ticket was already used; ask the backend for a new one")]
    Reused,
}

/// The backend's side: signs tickets. Keep its seed secret; give listeners its
/// [`verifying_key`](Self::verifying_key).
pub struct TicketSigner(SigningKey);

impl core::fmt::Debug for TicketSigner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "TicketSigner {{ verifying_key: {} }}", self.verifying_key())
    }
}

impl TicketSigner {
    /// A signer from a 32-byte Ed25519 seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self(SigningKey::from_bytes(&seed))
    }

    /// A fresh signer from `entropy`.
    pub fn generate(entropy: &mut dyn Entropy) -> Self {
        Self::from_seed(entropy.bytes32())
    }

    /// The key listeners verify tickets with (its text form is the key's base64).
    pub fn verifying_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }

    /// A ticket admitting its bearer once to `listener` until `expires` (seconds since the
    /// Unix epoch), unique by `nonce`, carrying `data` (at most [`TICKET_MAX_DATA`] bytes; the
    /// rest is cut).
    pub fn mint(&self, listener: PublicKey, expires: u64, nonce: [u8; 16], data: &[u8]) -> Vec<u8> {
        let data = &data[..data.len().min(TICKET_MAX_DATA)];
        let mut ticket = Vec::with_capacity(FIXED + data.len() + SIGNATURE_LEN);
        ticket.push(VERSION);
        ticket.extend_from_slice(listener.as_bytes());
        ticket.extend_from_slice(&expires.to_be_bytes());
        ticket.extend_from_slice(&nonce);
        ticket.extend_from_slice(&(data.len() as u16).to_be_bytes());
        ticket.extend_from_slice(data);
        let signature = self.0.sign(&signed_message(&ticket));
        ticket.extend_from_slice(&signature.to_bytes());
        ticket
    }
}

fn signed_message(body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(CONTEXT.len() + body.len());
    message.extend_from_slice(CONTEXT);
    message.extend_from_slice(body);
    message
}

/// The listener's side: verifies tickets of one backend for one listener, and admits each
/// once. Invariant: remembers a ticket's nonce until the ticket expires, no longer, so its
/// memory is bounded by the tickets the backend issues per expiry period.
#[derive(Debug)]
pub struct TicketVerifier {
    backend: VerifyingKey,
    listener: PublicKey,
    used: HashMap<[u8; 16], u64>,
    /// The latest `now` seen.
    latest: u64,
}

impl TicketVerifier {
    /// Verifies tickets signed by `backend` (its [`TicketSigner::verifying_key`]) for the
    /// listener whose public key is `listener`.
    pub fn new(backend: PublicKey, listener: PublicKey) -> Result<Self, KeyParseError> {
        let backend =
            VerifyingKey::from_bytes(backend.as_bytes()).map_err(|_| KeyParseError::NotOnCurve)?;
        Ok(Self { backend, listener, used: HashMap::new(), latest: 0 })
    }

    /// Whether `backend` is an Ed25519 verifying key, as [`new`](Self::new) needs.
    pub fn check_backend(backend: &PublicKey) -> Result<(), KeyParseError> {
        VerifyingKey::from_bytes(backend.as_bytes())
            .map(drop)
            .map_err(|_| KeyParseError::NotOnCurve)
    }

    /// Checks `bytes` at `now` (seconds since the Unix epoch): format, signature, listener,
    /// expiry, and that it was not admitted before. An admitted ticket is remembered until
    /// it expires. Time never goes back here: a `now` earlier than one seen before counts as
    /// that one, so a clock set back cannot revive a ticket whose use was forgotten.
    pub fn admit(&mut self, bytes: &[u8], now: u64) -> Result<Ticket, TicketError> {
        self.latest = self.latest.max(now);
        let now = self.latest;
        let ticket = self.verify(bytes)?;
        if ticket.expires <= now {
            return Err(TicketError::Expired);
        }
        self.used.retain(|_, &mut expires| expires > now);
        if self.used.contains_key(&ticket.nonce) {
            return Err(TicketError::Reused);
        }
        self.used.insert(ticket.nonce, ticket.expires);
        Ok(ticket)
    }

    /// Format, signature and listener, without expiry or reuse.
    fn verify(&self, bytes: &[u8]) -> Result<Ticket, TicketError> {
        if bytes.len() < FIXED + SIGNATURE_LEN || bytes[0] != VERSION {
            return Err(TicketError::Malformed);
        }
        let data_len = u16::from_be_bytes([bytes[FIXED - 2], bytes[FIXED - 1]]) as usize;
        if data_len > TICKET_MAX_DATA || bytes.len() != FIXED + data_len + SIGNATURE_LEN {
            return Err(TicketError::Malformed);
        }
        let (body, signature) = bytes.split_at(bytes.len() - SIGNATURE_LEN);
        let signature = Signature::from_slice(signature).map_err(|_| TicketError::BadSignature)?;
        self.backend
            .verify(&signed_message(body), &signature)
            .map_err(|_| TicketError::BadSignature)?;
        let field = |range: core::ops::Range<usize>| &body[range];
        let listener = PublicKey(field(1..33).try_into().map_err(|_| TicketError::Malformed)?);
        if listener != self.listener {
            return Err(TicketError::WrongListener);
        }
        let expires =
            u64::from_be_bytes(field(33..41).try_into().map_err(|_| TicketError::Malformed)?);
        let nonce = field(41..57).try_into().map_err(|_| TicketError::Malformed)?;
        Ok(Ticket { listener, expires, nonce, data: body[FIXED..].to_vec() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{SeededEntropy, StaticKeypair};

    fn setup() -> (TicketSigner, PublicKey, TicketVerifier) {
        let mut entropy = SeededEntropy::from_u64(77);
        let signer = TicketSigner::generate(&mut entropy);
        let listener = StaticKeypair::generate(&mut entropy).public();
        let verifier = TicketVerifier::new(signer.verifying_key(), listener).unwrap();
        (signer, listener, verifier)
    }

    #[test]
    fn a_ticket_admits_once_before_it_expires() {
        let (signer, listener, mut verifier) = setup();
        let ticket = signer.mint(listener, 1_000, [1; 16], b"player 7");
        let admitted = verifier.admit(&ticket, 999).unwrap();
        assert_eq!(admitted.data, b"player 7");
        assert_eq!(verifier.admit(&ticket, 999), Err(TicketError::Reused));
        let late = signer.mint(listener, 1_000, [2; 16], b"");
        assert_eq!(verifier.admit(&late, 1_000), Err(TicketError::Expired));
    }

    #[test]
    fn forged_altered_and_misdirected_tickets_are_refused() {
        let (signer, listener, mut verifier) = setup();
        let other = StaticKeypair::generate(&mut SeededEntropy::from_u64(78)).public();
        let elsewhere = signer.mint(other, 1_000, [3; 16], b"");
        assert_eq!(verifier.admit(&elsewhere, 0), Err(TicketError::WrongListener));
        let mut altered = signer.mint(listener, 1_000, [4; 16], b"player 7");
        altered[FIXED] ^= 1;
        assert_eq!(verifier.admit(&altered, 0), Err(TicketError::BadSignature));
        let forger = TicketSigner::generate(&mut SeededEntropy::from_u64(79));
        let forged = forger.mint(listener, 1_000, [5; 16], b"");
        assert_eq!(verifier.admit(&forged, 0), Err(TicketError::BadSignature));
        assert_eq!(verifier.admit(b"\x01short", 0), Err(TicketError::Malformed));
    }

    #[test]
    fn a_clock_set_back_does_not_revive_a_used_ticket() {
        let (signer, listener, mut verifier) = setup();
        let ticket = signer.mint(listener, 1_000, [6; 16], b"");
        verifier.admit(&ticket, 10).unwrap();
        // The clock jumps past the ticket's expiry (its use is forgotten), then back.
        let later = signer.mint(listener, 5_000, [7; 16], b"");
        verifier.admit(&later, 2_000).unwrap();
        assert_eq!(verifier.admit(&ticket, 20), Err(TicketError::Expired));
    }
}
