//! The wire format, as `docs/PROTOCOL.md` describes it: zero messages (the handshake,
//! section 2), plaintext packets (section 3), the reason codes (section 4), sealed packets and
//! the payloads inside the Noise messages (section 6). Encoding and decoding only: what a
//! peer does with a message is decided in `session` and `connection`.

pub mod packet;
pub mod payload;
mod reason;
pub mod sealed;
pub mod zero;

pub use reason::ReasonCode;
