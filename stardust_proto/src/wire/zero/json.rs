//! The JSON side of zero messages: one serde struct per type, in wire order, and the
//! conversions between them and the message model of [`super`], where every rule of
//! `docs/PROTOCOL.md` 2.2 that serde cannot express (which members go together) is checked.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    Accepted, AcceptedBody, Close, Rejected, RejectedBody, Request, RequestMode, Retry,
    ZeroDecodeError,
};
use crate::wire::reason::ReasonCode;

pub(super) fn parse<'a, T: Deserialize<'a>>(json: &'a [u8]) -> Result<T, ZeroDecodeError> {
    serde_json::from_slice(json).map_err(|e| match e.classify() {
        serde_json::error::Category::Eof => ZeroDecodeError::Truncated,
        serde_json::error::Category::Data => ZeroDecodeError::WrongFields,
        serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
            ZeroDecodeError::BadJson
        }
    })
}

fn b64(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

fn unb64(text: &str) -> Result<Vec<u8>, ZeroDecodeError> {
    BASE64.decode(text).map_err(|_| ZeroDecodeError::WrongFields)
}

// The wire structs: field order here is the order on the wire (serde keeps declaration order),
// which makes the encoding deterministic and the examples in PROTOCOL.md reproducible.
// Unknown members are ignored on decode, so a later version may add members; a listed member
// that appears twice is an error (serde's `duplicate field`).

#[derive(Deserialize)]
pub(super) struct TypeProbe {
    #[serde(rename = "type")]
    pub(super) kind: u64,
}

#[derive(Deserialize)]
pub(super) struct ProbeWire {
    #[serde(rename = "type")]
    pub(super) kind: u64,
    #[serde(default)]
    pub(super) version: Option<u32>,
    #[serde(default)]
    pub(super) id: Option<u64>,
    #[serde(default)]
    pub(super) seq: Option<u16>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct RequestWire {
    #[serde(rename = "type")]
    kind: u8,
    transport: u64,
    version: u32,
    hash: u64,
    id: u64,
    secure: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seq: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    noise: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cookie: Option<String>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct AcceptedWire {
    #[serde(rename = "type")]
    kind: u8,
    id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    noise: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seq: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct RejectedWire {
    #[serde(rename = "type")]
    kind: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ack: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    noise: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    code: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data: Option<Value>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct CloseWire {
    #[serde(rename = "type")]
    kind: u8,
    code: u16,
    #[serde(default)]
    data: Value,
}

#[derive(Serialize, Deserialize)]
pub(super) struct RetryWire {
    #[serde(rename = "type")]
    kind: u8,
    id: u64,
    cookie: String,
    key: String,
}

impl From<&Request> for RequestWire {
    fn from(r: &Request) -> Self {
        let (secure, seq, noise, cookie) = match &r.mode {
            RequestMode::Secure { noise, cookie } => {
                (true, None, noise.as_deref().map(b64), cookie.as_deref().map(b64))
            }
            RequestMode::Insecure { seq } => (false, Some(*seq), None, None),
        };
        RequestWire {
            kind: 0,
            transport: r.transport_id,
            version: r.transport_version,
            hash: r.protocol_hash,
            id: r.id,
            secure,
            seq,
            noise,
            cookie,
        }
    }
}

impl TryFrom<RequestWire> for Request {
    type Error = ZeroDecodeError;

    fn try_from(w: RequestWire) -> Result<Self, ZeroDecodeError> {
        let mode = match (w.secure, w.seq) {
            (true, None) => RequestMode::Secure {
                noise: w.noise.as_deref().map(unb64).transpose()?,
                cookie: w.cookie.as_deref().map(unb64).transpose()?,
            },
            (false, Some(seq)) if w.noise.is_none() && w.cookie.is_none() => {
                RequestMode::Insecure { seq }
            }
            _ => return Err(ZeroDecodeError::WrongFields),
        };
        Ok(Request {
            transport_id: w.transport,
            transport_version: w.version,
            protocol_hash: w.hash,
            id: w.id,
            mode,
        })
    }
}

impl From<&Accepted> for AcceptedWire {
    fn from(a: &Accepted) -> Self {
        let (noise, seq, port) = match &a.body {
            AcceptedBody::Secure { noise } => (Some(b64(noise)), None, None),
            AcceptedBody::Insecure { seq, port } => (None, Some(*seq), Some(*port)),
        };
        AcceptedWire { kind: 1, id: a.id, noise, seq, port }
    }
}

impl TryFrom<AcceptedWire> for Accepted {
    type Error = ZeroDecodeError;

    fn try_from(w: AcceptedWire) -> Result<Self, ZeroDecodeError> {
        let body = match (w.noise, w.seq, w.port) {
            (Some(noise), None, None) => AcceptedBody::Secure { noise: unb64(&noise)? },
            (None, Some(seq), Some(port)) => AcceptedBody::Insecure { seq, port },
            _ => return Err(ZeroDecodeError::WrongFields),
        };
        Ok(Accepted { id: w.id, body })
    }
}

impl From<&Rejected> for RejectedWire {
    fn from(r: &Rejected) -> Self {
        let (noise, code, data) = match &r.body {
            RejectedBody::Plain { code, data } => (None, Some(code.0), Some(data.clone())),
            RejectedBody::Sealed { noise } => (Some(b64(noise)), None, None),
        };
        RejectedWire { kind: 2, id: r.id, ack: r.ack, noise, code, data }
    }
}

impl TryFrom<RejectedWire> for Rejected {
    type Error = ZeroDecodeError;

    fn try_from(w: RejectedWire) -> Result<Self, ZeroDecodeError> {
        let body = match (w.noise, w.code) {
            (Some(noise), None) if w.data.is_none() => {
                RejectedBody::Sealed { noise: unb64(&noise)? }
            }
            (None, Some(code)) => {
                RejectedBody::Plain { code: ReasonCode(code), data: w.data.unwrap_or(Value::Null) }
            }
            _ => return Err(ZeroDecodeError::WrongFields),
        };
        Ok(Rejected { id: w.id, ack: w.ack, body })
    }
}

impl From<&Close> for CloseWire {
    fn from(c: &Close) -> Self {
        CloseWire { kind: 3, code: c.code.0, data: c.data.clone() }
    }
}

impl From<CloseWire> for Close {
    fn from(w: CloseWire) -> Self {
        Close { code: ReasonCode(w.code), data: w.data }
    }
}

impl From<&Retry> for RetryWire {
    fn from(r: &Retry) -> Self {
        RetryWire { kind: 4, id: r.id, cookie: b64(&r.cookie), key: b64(&r.key) }
    }
}

impl TryFrom<RetryWire> for Retry {
    type Error = ZeroDecodeError;

    fn try_from(w: RetryWire) -> Result<Self, ZeroDecodeError> {
        let key = unb64(&w.key)?.try_into().map_err(|_| ZeroDecodeError::WrongFields)?;
        Ok(Retry { id: w.id, cookie: unb64(&w.cookie)?, key })
    }
}
