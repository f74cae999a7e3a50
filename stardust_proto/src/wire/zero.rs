//! Zero messages: the connection protocol's datagrams, and their JSON codec.
//!
//! A zero message is a whole datagram: the three bytes `00 00 00`, then one UTF-8 JSON
//! object whose numeric `"type"` field says what it is, then optional ASCII-space padding
//! (JSON allows trailing whitespace, so any JSON parser reads a padded message as is).
//! `docs/PROTOCOL.md`, section 2, is the normative description.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::reason::ReasonCode;

/// The three bytes that start every zero message (and no game datagram).
pub const ZERO_HEADER: [u8; 3] = [0, 0, 0];

/// The smallest connection request a listener answers, in bytes, header and padding included.
///
/// Requests are padded with spaces up to this size, and every reply is at most as large as the
/// request it answers, so a listener can never be used to amplify traffic toward a spoofed address.
/// 1200 bytes also proves that the path carries datagrams of the default MTU.
pub const REQUEST_MIN_SIZE: usize = 1200;

/// The largest zero message anyone accepts, in bytes; longer ones are dropped as oversized.
pub const ZERO_MAX_SIZE: usize = 2048;

/// Whether `datagram` is a zero message (starts with `00 00 00`) rather than game traffic.
pub fn is_zero_message(datagram: &[u8]) -> bool {
    datagram.starts_with(&ZERO_HEADER)
}

/// Type `0`, connecting side → listen port: "let me in".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// Which transport the client speaks (e.g. Stardust over UDP); must equal the listener's.
    pub transport_id: u64,
    /// Version of that transport; must equal the listener's.
    pub transport_version: u32,
    /// The client's protocol hash; must equal the listener's.
    pub protocol_hash: u64,
    /// The client's first game-packet sequence number; also names this connection attempt.
    pub seq: u16,
}

/// Type `1`, listen port → connecting side: "you are in, talk to `port` from now on".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    /// The `seq` of the request this answers, so a late reply to an older attempt is recognised.
    pub ack: u16,
    /// The listener's first game-packet sequence number.
    pub seq: u16,
    /// The listener's UDP port that carries this connection's game traffic.
    pub port: u16,
}

/// Type `2`, listen port → connecting side: "you may not connect".
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// The `seq` of the request this answers; `None` when the request was unreadable.
    pub ack: Option<u16>,
    /// Why; see [`ReasonCode`].
    pub code: ReasonCode,
    /// Free-form detail (`null` when none). Dropped to `null` when it would make the reply
    /// larger than the request.
    pub data: Value,
}

/// Type `3`, either side → the other, on an established connection: "I am leaving".
#[derive(Debug, Clone, PartialEq)]
pub struct Close {
    /// Why; [`ReasonCode::CLOSED`] for a normal close.
    pub code: ReasonCode,
    /// Free-form detail (`null` when none). Dropped to `null` when it would not fit the MTU.
    pub data: Value,
}

/// One decoded zero message.
#[derive(Debug, Clone, PartialEq)]
pub enum ZeroMessage {
    /// Type `0`.
    Request(Request),
    /// Type `1`.
    Accepted(Accepted),
    /// Type `2`.
    Rejected(Rejected),
    /// Type `3`.
    Close(Close),
}

/// Why bytes are not a zero message. Every case is a reason to drop the datagram, never to panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ZeroDecodeError {
    /// The datagram does not start with `00 00 00`; route it to the game-packet decoder instead.
    #[error("the datagram does not start with 00 00 00; decode it as a game packet")]
    NotZero,
    /// The datagram is longer than [`ZERO_MAX_SIZE`].
    #[error("zero message longer than {ZERO_MAX_SIZE} bytes; send smaller messages")]
    Oversized,
    /// The JSON ends early.
    #[error("zero message truncated in the middle of its JSON; send the whole message")]
    Truncated,
    /// Not valid UTF-8 JSON, or something other than whitespace follows the object.
    #[error("zero message is not valid JSON; send one UTF-8 JSON object, padded with spaces only")]
    BadJson,
    /// Valid JSON, but a field is missing, has the wrong type, or is out of range.
    #[error("zero message has a missing or mistyped field; check the field table in PROTOCOL.md")]
    WrongFields,
    /// A `"type"` this version does not know.
    #[error("zero message type {0} is unknown; types 0 to 3 exist")]
    UnknownType(u64),
}

impl ZeroMessage {
    /// The value of the `"type"` field.
    pub fn type_code(&self) -> u8 {
        match self {
            ZeroMessage::Request(_) => 0,
            ZeroMessage::Accepted(_) => 1,
            ZeroMessage::Rejected(_) => 2,
            ZeroMessage::Close(_) => 3,
        }
    }

    /// Writes the whole datagram into `buf` (cleared first). A request is padded with spaces to
    /// [`REQUEST_MIN_SIZE`]; other messages are not padded.
    pub fn encode(&self, buf: &mut Vec<u8>) {
        buf.clear();
        buf.extend_from_slice(&ZERO_HEADER);
        let written = match self {
            ZeroMessage::Request(r) => serde_json::to_writer(&mut *buf, &RequestWire::from(*r)),
            ZeroMessage::Accepted(a) => serde_json::to_writer(&mut *buf, &AcceptedWire::from(*a)),
            ZeroMessage::Rejected(r) => serde_json::to_writer(&mut *buf, &RejectedWire::from(r)),
            ZeroMessage::Close(c) => serde_json::to_writer(&mut *buf, &CloseWire::from(c)),
        };
        if written.is_err() {
            // Unreachable: these structs and `Value` always serialise (string keys, finite
            // numbers). Should it ever happen, send an empty object the peer drops as malformed
            // rather than half an object.
            buf.truncate(ZERO_HEADER.len());
            buf.extend_from_slice(b"{}");
        }
        if let ZeroMessage::Request(_) = self
            && buf.len() < REQUEST_MIN_SIZE
        {
            buf.resize(REQUEST_MIN_SIZE, b' ');
        }
    }

    /// Like [`encode`](Self::encode), but keeps the datagram within `limit` bytes by replacing a
    /// `rejected` or `close` message's `data` with `null` when needed. Returns whether the result
    /// fits; `false` means even the message without data is too large (the caller must not send it).
    pub fn encode_within(&self, limit: usize, buf: &mut Vec<u8>) -> bool {
        self.encode(buf);
        if buf.len() <= limit {
            return true;
        }
        let stripped = match self {
            ZeroMessage::Rejected(r) => {
                ZeroMessage::Rejected(Rejected { data: Value::Null, ..r.clone() })
            }
            ZeroMessage::Close(c) => ZeroMessage::Close(Close { data: Value::Null, ..c.clone() }),
            _ => return false,
        };
        stripped.encode(buf);
        buf.len() <= limit
    }

    /// Reads a zero message from a whole datagram.
    pub fn decode(datagram: &[u8]) -> Result<ZeroMessage, ZeroDecodeError> {
        if !is_zero_message(datagram) {
            return Err(ZeroDecodeError::NotZero);
        }
        if datagram.len() > ZERO_MAX_SIZE {
            return Err(ZeroDecodeError::Oversized);
        }
        let json = &datagram[ZERO_HEADER.len()..];
        let probe: TypeProbe = parse(json)?;
        Ok(match probe.kind {
            0 => ZeroMessage::Request(parse::<RequestWire>(json)?.into()),
            1 => ZeroMessage::Accepted(parse::<AcceptedWire>(json)?.into()),
            2 => ZeroMessage::Rejected(parse::<RejectedWire>(json)?.into()),
            3 => ZeroMessage::Close(parse::<CloseWire>(json)?.into()),
            other => return Err(ZeroDecodeError::UnknownType(other)),
        })
    }
}

fn parse<'a, T: Deserialize<'a>>(json: &'a [u8]) -> Result<T, ZeroDecodeError> {
    serde_json::from_slice(json).map_err(|e| match e.classify() {
        serde_json::error::Category::Eof => ZeroDecodeError::Truncated,
        serde_json::error::Category::Data => ZeroDecodeError::WrongFields,
        serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
            ZeroDecodeError::BadJson
        }
    })
}

// The wire structs: field order here is the order on the wire (serde keeps declaration order),
// which makes the encoding deterministic and the hex examples in PROTOCOL.md reproducible.
// Unknown fields are ignored on decode, so a later version may add fields.

#[derive(Deserialize)]
struct TypeProbe {
    #[serde(rename = "type")]
    kind: u64,
}

#[derive(Serialize, Deserialize)]
struct RequestWire {
    #[serde(rename = "type")]
    kind: u8,
    transport: u64,
    version: u32,
    hash: u64,
    seq: u16,
}

#[derive(Serialize, Deserialize)]
struct AcceptedWire {
    #[serde(rename = "type")]
    kind: u8,
    ack: u16,
    seq: u16,
    port: u16,
}

#[derive(Serialize, Deserialize)]
struct RejectedWire {
    #[serde(rename = "type")]
    kind: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ack: Option<u16>,
    code: u16,
    #[serde(default)]
    data: Value,
}

#[derive(Serialize, Deserialize)]
struct CloseWire {
    #[serde(rename = "type")]
    kind: u8,
    code: u16,
    #[serde(default)]
    data: Value,
}

impl From<Request> for RequestWire {
    fn from(r: Request) -> Self {
        RequestWire {
            kind: 0,
            transport: r.transport_id,
            version: r.transport_version,
            hash: r.protocol_hash,
            seq: r.seq,
        }
    }
}

impl From<RequestWire> for Request {
    fn from(w: RequestWire) -> Self {
        Request {
            transport_id: w.transport,
            transport_version: w.version,
            protocol_hash: w.hash,
            seq: w.seq,
        }
    }
}

impl From<Accepted> for AcceptedWire {
    fn from(a: Accepted) -> Self {
        AcceptedWire { kind: 1, ack: a.ack, seq: a.seq, port: a.port }
    }
}

impl From<AcceptedWire> for Accepted {
    fn from(w: AcceptedWire) -> Self {
        Accepted { ack: w.ack, seq: w.seq, port: w.port }
    }
}

impl From<&Rejected> for RejectedWire {
    fn from(r: &Rejected) -> Self {
        RejectedWire { kind: 2, ack: r.ack, code: r.code.0, data: r.data.clone() }
    }
}

impl From<RejectedWire> for Rejected {
    fn from(w: RejectedWire) -> Self {
        Rejected { ack: w.ack, code: ReasonCode(w.code), data: w.data }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(msg: ZeroMessage) {
        let mut buf = Vec::new();
        msg.encode(&mut buf);
        assert_eq!(ZeroMessage::decode(&buf), Ok(msg));
    }

    #[test]
    fn every_type_round_trips() {
        round_trip(ZeroMessage::Request(Request {
            transport_id: u64::MAX,
            transport_version: 7,
            protocol_hash: 0x9b1c_0e55_d2a4_f7e0,
            seq: 65535,
        }));
        round_trip(ZeroMessage::Accepted(Accepted { ack: 1, seq: 2, port: 40001 }));
        round_trip(ZeroMessage::Rejected(Rejected {
            ack: None,
            code: ReasonCode::FULL,
            data: serde_json::json!({"retry_in_s": 30}),
        }));
        round_trip(ZeroMessage::Close(Close { code: ReasonCode::CLOSED, data: Value::Null }));
    }

    #[test]
    fn requests_are_padded_with_spaces_to_the_minimum() {
        let mut buf = Vec::new();
        let request = Request { transport_id: 1, transport_version: 1, protocol_hash: 1, seq: 1 };
        ZeroMessage::Request(request).encode(&mut buf);
        assert_eq!(buf.len(), REQUEST_MIN_SIZE);
        assert_eq!(buf.last(), Some(&b' '));
    }

    #[test]
    fn bad_input_is_classified() {
        assert_eq!(ZeroMessage::decode(b"\0\0\0{\"type\":0"), Err(ZeroDecodeError::Truncated));
        assert_eq!(ZeroMessage::decode(b"\0\0\0{type:0}"), Err(ZeroDecodeError::BadJson));
        assert_eq!(ZeroMessage::decode(b"\0\0\0{\"type\":1} x"), Err(ZeroDecodeError::BadJson));
        assert_eq!(
            ZeroMessage::decode(b"\0\0\0{\"type\":1,\"ack\":1,\"seq\":\"2\",\"port\":3}"),
            Err(ZeroDecodeError::WrongFields)
        );
        assert_eq!(
            ZeroMessage::decode(b"\0\0\0{\"type\":1,\"ack\":1,\"seq\":70000,\"port\":3}"),
            Err(ZeroDecodeError::WrongFields)
        );
        assert_eq!(ZeroMessage::decode(b"\0\0\0[]"), Err(ZeroDecodeError::WrongFields));
        assert_eq!(
            ZeroMessage::decode(b"\0\0\0{\"type\":9}"),
            Err(ZeroDecodeError::UnknownType(9))
        );
        assert_eq!(ZeroMessage::decode(b"\0\0"), Err(ZeroDecodeError::NotZero));
        assert_eq!(ZeroMessage::decode(b"\x01\0\0{}"), Err(ZeroDecodeError::NotZero));
        let mut long = b"\0\0\0{\"type\":3,\"code\":0}".to_vec();
        long.resize(ZERO_MAX_SIZE + 1, b' ');
        assert_eq!(ZeroMessage::decode(&long), Err(ZeroDecodeError::Oversized));
    }

    /// The worked examples of docs/PROTOCOL.md, section 2.7, byte for byte.
    #[test]
    fn protocol_md_examples_are_exact() {
        let mut buf = Vec::new();
        let request = Request {
            transport_id: 1,
            transport_version: 1,
            protocol_hash: 0x9b1c_0e55_d2a4_f7e0,
            seq: 0x1234,
        };
        ZeroMessage::Request(request).encode(&mut buf);
        let json =
            br#"{"type":0,"transport":1,"version":1,"hash":11176824136995764192,"seq":4660}"#;
        assert_eq!(&buf[..3], &ZERO_HEADER);
        assert_eq!(&buf[3..3 + json.len()], json);
        assert_eq!(3 + json.len(), 78);
        assert!(buf[78..].iter().all(|&b| b == b' '));
        assert_eq!(buf.len(), 1200);

        let cases: [(ZeroMessage, &[u8]); 4] = [
            (
                ZeroMessage::Accepted(Accepted { ack: 4660, seq: 22136, port: 40001 }),
                br#"{"type":1,"ack":4660,"seq":22136,"port":40001}"#,
            ),
            (
                ZeroMessage::Rejected(Rejected {
                    ack: Some(4660),
                    code: ReasonCode::PROTOCOL_HASH_MISMATCH,
                    data: serde_json::json!({"hash": 0x0123_4567_89ab_cdef_u64}),
                }),
                br#"{"type":2,"ack":4660,"code":4,"data":{"hash":81985529216486895}}"#,
            ),
            (
                ZeroMessage::Close(Close { code: ReasonCode::CLOSED, data: Value::Null }),
                br#"{"type":3,"code":0,"data":null}"#,
            ),
            (
                ZeroMessage::Close(Close {
                    code: ReasonCode::application(1).unwrap(),
                    data: serde_json::json!({"msg": "kicked"}),
                }),
                br#"{"type":3,"code":32769,"data":{"msg":"kicked"}}"#,
            ),
        ];
        for (message, json) in cases {
            message.encode(&mut buf);
            assert_eq!(&buf[..3], &ZERO_HEADER);
            assert_eq!(&buf[3..], json);
        }
        assert_eq!(buf.len(), 50);
    }

    #[test]
    fn encode_within_drops_data_that_does_not_fit() {
        let big = Value::String("x".repeat(2000));
        let msg =
            ZeroMessage::Rejected(Rejected { ack: Some(3), code: ReasonCode::FULL, data: big });
        let mut buf = Vec::new();
        assert!(msg.encode_within(REQUEST_MIN_SIZE, &mut buf));
        assert_eq!(
            ZeroMessage::decode(&buf),
            Ok(ZeroMessage::Rejected(Rejected {
                ack: Some(3),
                code: ReasonCode::FULL,
                data: Value::Null
            }))
        );
    }
}
