//! Feeds arbitrary bytes to the decoders of the payloads inside the Noise handshake messages
//! (`ClientHello`, `AcceptPayload`, `RejectPayload`), and to a listener's `TicketVerifier`:
//! arbitrary bytes, and tickets a backend really minted (for this listener or another, live
//! or expired, with a fresh or a used nonce), admitted as they are or altered, at a clock that
//! only moves forward.
//!
//! Checks: nothing panics; a decoded payload re-encodes to bytes that decode to the same
//! payload; an admitted ticket is one the backend minted for this listener, unaltered in what
//! it says, unexpired, and admitted once: an untampered live ticket with a fresh nonce is
//! admitted, a nonce is never admitted twice while its ticket lives, and a ticket refused for
//! its signature, listener, format or expiry is refused for that reason.
#![no_main]

use std::collections::HashMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use stardust_fuzz::{Input, flip_bit};
use stardust_proto::crypto::{
    PublicKey, SeededEntropy, StaticKeypair, TICKET_MAX_DATA, Ticket, TicketError, TicketSigner,
    TicketVerifier,
};
use stardust_proto::payload::{AcceptPayload, ClientHello, RejectPayload};

struct Keys {
    signer: TicketSigner,
    listener: PublicKey,
    elsewhere: PublicKey,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut entropy = SeededEntropy::from_u64(0x71C7E7);
        Keys {
            signer: TicketSigner::generate(&mut entropy),
            listener: StaticKeypair::generate(&mut entropy).public(),
            elsewhere: StaticKeypair::generate(&mut entropy).public(),
        }
    })
}

fn payloads(bytes: &[u8]) {
    if let Some(hello) = ClientHello::decode(bytes) {
        assert_eq!(ClientHello::decode(&hello.encode()), Some(hello));
    }
    if let Some(accept) = AcceptPayload::decode(bytes) {
        assert_eq!(AcceptPayload::decode(&accept.encode()), Some(accept));
    }
    if let Some(reject) = RejectPayload::decode(bytes) {
        assert_eq!(RejectPayload::decode(&reject.encode()), Some(reject));
    }
}

/// The harness's record of what the backend minted and what the listener admitted.
#[derive(Default)]
struct Tickets {
    /// Every ticket minted, with what it says.
    minted: Vec<(Vec<u8>, Ticket)>,
    /// Nonces admitted, with their ticket's expiry.
    admitted: HashMap<[u8; 16], u64>,
}

impl Tickets {
    /// Checks one admission of `bytes` at `now` against what was minted.
    fn check(&mut self, bytes: &[u8], now: u64, result: Result<Ticket, TicketError>) {
        let original = self.minted.iter().find(|(wire, _)| wire == bytes).map(|(_, t)| t);
        let listener = keys().listener;
        match result {
            Ok(ticket) => {
                // A signature may in principle take another form for the same contents, so
                // what must hold is that the contents are the backend's.
                assert!(
                    self.minted.iter().any(|(_, t)| *t == ticket),
                    "admitted a ticket the backend never minted: {ticket:?}"
                );
                assert_eq!(ticket.listener, listener, "admitted a ticket for another listener");
                assert!(ticket.expires > now, "admitted an expired ticket");
                let previous = self.admitted.insert(ticket.nonce, ticket.expires);
                assert!(
                    previous.is_none_or(|expires| expires <= now),
                    "a nonce admitted twice while its ticket lives"
                );
            }
            Err(error) => {
                let Some(ticket) = original else { return };
                let expected = if ticket.listener != listener {
                    TicketError::WrongListener
                } else if ticket.expires <= now {
                    TicketError::Expired
                } else {
                    assert!(
                        self.admitted.get(&ticket.nonce).is_some_and(|&e| e > now),
                        "an untampered live ticket with a fresh nonce was refused: {error}"
                    );
                    TicketError::Reused
                };
                assert_eq!(error, expected, "refused for the wrong reason");
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    payloads(data);

    let mut input = Input::new(data);
    let keys = keys();
    let mut verifier = match TicketVerifier::new(keys.signer.verifying_key(), keys.listener) {
        Ok(verifier) => verifier,
        Err(error) => panic!("the backend's own key was refused: {error}"),
    };
    let mut tickets = Tickets::default();
    let mut now = 1_000u64;
    while !input.is_empty() {
        now += u64::from(input.u8());
        match input.u8() % 4 {
            0 => {
                let bytes = input.body();
                let result = verifier.admit(bytes, now);
                tickets.check(bytes, now, result);
            }
            1 => {
                let listener =
                    if input.u8().is_multiple_of(8) { keys.elsewhere } else { keys.listener };
                let expires = now - 300 + u64::from(input.u16() % 900);
                // Few nonces, so that reuse is common.
                let mut nonce = [0; 16];
                nonce[0] = input.u8() % 8;
                let len = usize::from(input.u16() % 300);
                let data = input.bytes(len);
                let wire = keys.signer.mint(listener, expires, nonce, data);
                let data = data[..data.len().min(TICKET_MAX_DATA)].to_vec();
                tickets.minted.push((wire, Ticket { listener, expires, nonce, data }));
            }
            2 => {
                if tickets.minted.is_empty() {
                    continue;
                }
                let at = usize::from(input.u8()) % tickets.minted.len();
                let wire = tickets.minted[at].0.clone();
                let result = verifier.admit(&wire, now);
                tickets.check(&wire, now, result);
            }
            _ => {
                if tickets.minted.is_empty() {
                    continue;
                }
                let at = usize::from(input.u8()) % tickets.minted.len();
                let mut wire = tickets.minted[at].0.clone();
                match input.u8() % 3 {
                    0 => flip_bit(&mut wire, usize::from(input.u16())),
                    1 => wire.truncate(usize::from(input.u16()) % wire.len()),
                    _ => wire.push(input.u8()),
                }
                let result = verifier.admit(&wire, now);
                tickets.check(&wire, now, result);
            }
        }
    }
});
