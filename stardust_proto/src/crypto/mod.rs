//! The cryptography of the secure protocol, from well-kept crates (snow for Noise,
//! RustCrypto's ChaCha20-Poly1305 and BLAKE2s, ed25519-dalek): nothing here is a
//! hand-rolled primitive, only how Stardust combines them.
//!
//! | file | what |
//! |---|---|
//! | `keys.rs` | X25519 static keys and their text form |
//! | `entropy.rs` | randomness, always passed in by the caller (the engine draws none itself) |
//! | `noise.rs` | the Noise handshake's parameters: pattern, prologue, how snow is built |
//! | `seal.rs` | sealing and opening packets after the handshake: AEAD, nonces, replay window |
//! | `cookie.rs` | stateless cookies that prove a client receives at its address |
//! | `reset.rs` | stateless reset tokens |
//! | `ticket.rs` | backend tickets: Ed25519-signed, bound to a listener, with an expiry |
//!
//! `docs/PROTOCOL.md`, sections 3 and 5, is the normative description.

mod cookie;
mod entropy;
mod keys;
pub(crate) mod noise;
pub(crate) mod reset;
mod seal;
mod ticket;

pub use cookie::{COOKIE_BUCKET, COOKIE_LEN, CookieJar};
pub use entropy::{Entropy, SeededEntropy};
pub use keys::{KeyParseError, PublicKey, StaticKeypair};
pub use noise::{NOISE_PATTERN, PROLOGUE_LABEL, SeededResolver, prologue};
pub use reset::{RESET_TOKEN_LEN, ResetKey};
pub use seal::{OpenError, Opened, Opener, REPLAY_WINDOW, SealKeys, Sealer};
pub use ticket::{TICKET_MAX_DATA, Ticket, TicketError, TicketSigner, TicketVerifier};
