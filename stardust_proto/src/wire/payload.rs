//! The JSON payloads that travel encrypted inside the Noise handshake messages.
//!
//! ```text
//! first message  (client → listener): {"anonymous": bool, "app": base64?}
//! second message (listener → client): {"port": u16, "cid": u64, "reset": base64}  in an accepted
//!                                     {"code": u16, "data": any?}                in a rejected
//! ```
//! `docs/PROTOCOL.md`, section 3.3, is the normative description.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::reason::ReasonCode;

/// Most bytes of application payload (e.g. a backend ticket) a client may send in its first
/// handshake message: with the rest of the request it stays within one 1200-byte datagram.
pub const APP_PAYLOAD_MAX: usize = 512;

/// What the client says in its first handshake message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    /// Whether the client's static key was made for this connection only: the listener then
    /// treats it as no identity.
    pub anonymous: bool,
    /// The application's bytes for the listener's accept policy (a ticket…); may be empty.
    pub app: Vec<u8>,
}

/// What the listener says in its second handshake message when it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcceptPayload {
    /// The listener's port that carries this connection's packets.
    pub port: u16,
    /// The connection id every sealed packet of this connection carries.
    pub cid: u64,
    /// The stateless reset token of this connection.
    pub reset: [u8; 16],
}

/// What the listener says in its second handshake message when it refuses.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectPayload {
    /// Why.
    pub code: ReasonCode,
    /// Free-form detail (`null` when none).
    pub data: Value,
}

#[derive(Serialize, Deserialize)]
struct HelloWire {
    anonymous: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    app: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct AcceptWire {
    port: u16,
    cid: u64,
    reset: String,
}

#[derive(Serialize, Deserialize)]
struct RejectWire {
    code: u16,
    #[serde(default)]
    data: Value,
}

fn to_vec<T: Serialize>(value: &T) -> Vec<u8> {
    // Unreachable failure: these structs always serialise.
    serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec())
}

fn from_json<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Option<T> {
    std::str::from_utf8(bytes).ok()?;
    serde_json::from_slice(bytes).ok()
}

impl ClientHello {
    /// The payload's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let app = (!self.app.is_empty()).then(|| BASE64.encode(&self.app));
        to_vec(&HelloWire { anonymous: self.anonymous, app })
    }

    /// Reads a payload; `None` when it is not one.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let wire: HelloWire = from_json(bytes)?;
        let app = match wire.app {
            Some(text) => BASE64.decode(text).ok()?,
            None => Vec::new(),
        };
        (app.len() <= APP_PAYLOAD_MAX).then_some(ClientHello { anonymous: wire.anonymous, app })
    }
}

impl AcceptPayload {
    /// The payload's bytes.
    pub fn encode(&self) -> Vec<u8> {
        to_vec(&AcceptWire { port: self.port, cid: self.cid, reset: BASE64.encode(self.reset) })
    }

    /// Reads a payload; `None` when it is not one.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let wire: AcceptWire = from_json(bytes)?;
        let reset = BASE64.decode(wire.reset).ok()?.try_into().ok()?;
        Some(AcceptPayload { port: wire.port, cid: wire.cid, reset })
    }
}

impl RejectPayload {
    /// The payload's bytes.
    pub fn encode(&self) -> Vec<u8> {
        to_vec(&RejectWire { code: self.code.0, data: self.data.clone() })
    }

    /// Reads a payload; `None` when it is not one.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let wire: RejectWire = from_json(bytes)?;
        Some(RejectPayload { code: ReasonCode(wire.code), data: wire.data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        let hello = ClientHello { anonymous: true, app: vec![1, 2, 3] };
        assert_eq!(ClientHello::decode(&hello.encode()), Some(hello));
        let bare = ClientHello { anonymous: false, app: Vec::new() };
        assert_eq!(bare.encode(), br#"{"anonymous":false}"#);
        let accept = AcceptPayload { port: 40001, cid: u64::MAX, reset: [7; 16] };
        assert_eq!(AcceptPayload::decode(&accept.encode()), Some(accept));
        let reject = RejectPayload { code: ReasonCode::FULL, data: serde_json::json!({"a": 1}) };
        assert_eq!(RejectPayload::decode(&reject.encode()), Some(reject));
        assert_eq!(ClientHello::decode(b"{\"anonymous\":1}"), None);
    }
}
