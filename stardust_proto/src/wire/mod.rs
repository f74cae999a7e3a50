//! The wire format, as `docs/PROTOCOL.md` describes it: game packets (section 3), zero
//! messages (section 2) and the reason codes both carry (section 4). Encoding and decoding
//! only: what a peer does with a message is decided in `session` and `connection`.

pub mod packet;
mod reason;
pub mod zero;

pub use reason::ReasonCode;
