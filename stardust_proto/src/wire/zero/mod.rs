//! Zero messages: the handshake's datagrams, and their JSON codec (its serde side in `json.rs`).
//!
//! A zero message is a whole datagram: the three bytes `00 00 00`, then one UTF-8 JSON
//! object whose numeric `"type"` member says what it is, then optional JSON whitespace
//! (Stardust pads requests with spaces). Binary members (Noise messages, cookies, keys) are
//! standard base64 strings. `docs/PROTOCOL.md`, section 2, is the normative description.

mod json;

use serde_json::Value;

use self::json::{
    AcceptedWire, CloseWire, ProbeWire, RejectedWire, RequestWire, RetryWire, TypeProbe, parse,
};
use super::reason::ReasonCode;

/// The three bytes that start every zero message (and no packet).
pub const ZERO_HEADER: [u8; 3] = [0, 0, 0];

/// The smallest connection request a listener answers, in bytes, header and padding included.
///
/// Requests are padded up to this size, and every reply is at most as large as the request it
/// answers, so a listener can never be used to amplify traffic toward a spoofed address.
/// 1200 bytes also proves that the path carries datagrams of the default MTU.
pub const REQUEST_MIN_SIZE: usize = 1200;

/// The largest zero message anyone reads, in bytes: the largest UDP payload of an unfragmented
/// IPv4 datagram on an Ethernet path. Longer ones are dropped as oversized.
pub const ZERO_MAX_SIZE: usize = 1472;

/// Whether `datagram` is a zero message (starts with `00 00 00`) rather than a packet.
pub fn is_zero_message(datagram: &[u8]) -> bool {
    datagram.starts_with(&ZERO_HEADER)
}

/// Type `0`, connecting side → listen port: "let me in".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Which transport the client speaks (e.g. Stardust over UDP); must equal the listener's.
    pub transport_id: u64,
    /// Version of that transport; must equal the listener's.
    pub transport_version: u32,
    /// The client's protocol hash; must equal the listener's.
    pub protocol_hash: u64,
    /// Names this connection attempt: random, echoed by every reply, so a reply to another
    /// attempt, or from someone who never saw the request, is recognised.
    pub id: u64,
    /// Secure or insecure, and what that mode carries.
    pub mode: RequestMode,
}

/// What a request carries besides its identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestMode {
    /// `"secure": true`. Without `noise` the request only asks for a cookie and the
    /// listener's key (a `retry`); with it, it is the first Noise handshake message.
    Secure {
        /// The first Noise message (`IK`: `e, es, s, ss`), or `None`.
        noise: Option<Vec<u8>>,
        /// The cookie the listener's last `retry` gave this address, or `None`.
        cookie: Option<Vec<u8>>,
    },
    /// `"secure": false`: no encryption, no authentication. `seq` is the client's first
    /// packet number.
    Insecure {
        /// The client's first packet number.
        seq: u16,
    },
}

/// Type `1`, listen port → connecting side: "you are in".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The `id` of the request this answers.
    pub id: u64,
    /// What the listener says, by mode.
    pub body: AcceptedBody,
}

/// The body of an `accepted`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcceptedBody {
    /// The second Noise message (`IK`: `e, ee, se`), whose encrypted payload names the data
    /// port, the connection id and the reset token.
    Secure {
        /// The Noise message.
        noise: Vec<u8>,
    },
    /// An insecure connection: the listener's first packet number and data port.
    Insecure {
        /// The listener's first packet number.
        seq: u16,
        /// The listener's port that carries this connection's packets.
        port: u16,
    },
}

/// Type `2`, listen port → connecting side: "you may not connect".
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// The `id` of the request this answers; `None` when the request was unreadable.
    pub id: Option<u64>,
    /// A version-1 request's `seq`, echoed as `ack` so that a version-1 client reads the
    /// refusal; `None` otherwise.
    pub ack: Option<u16>,
    /// Why, in the clear or sealed in a Noise message.
    pub body: RejectedBody,
}

/// The body of a `rejected`.
#[derive(Debug, Clone, PartialEq)]
pub enum RejectedBody {
    /// In the clear: only for what the listener decides before the handshake (see
    /// `docs/PROTOCOL.md` 3.5); the echoed `id` shows the sender saw the request.
    Plain {
        /// Why; see [`ReasonCode`].
        code: ReasonCode,
        /// Free-form detail (`null` when none). Dropped to `null` when it would make the
        /// reply larger than the request.
        data: Value,
    },
    /// The second Noise message, whose encrypted payload is `{"code": …, "data": …}`:
    /// authenticated by the listener's static key.
    Sealed {
        /// The Noise message.
        noise: Vec<u8>,
    },
}

/// Type `3`, either side → the other, on an insecure connection only: "I am leaving". (A
/// secure connection closes with a sealed packet.)
#[derive(Debug, Clone, PartialEq)]
pub struct Close {
    /// Why; [`ReasonCode::CLOSED`] for a normal close.
    pub code: ReasonCode,
    /// Free-form detail (`null` when none). Dropped to `null` when it would not fit the MTU.
    pub data: Value,
}

/// Type `4`, listen port → connecting side: "prove you receive at your address: ask again
/// with this cookie", with the listener's static key for a client that does not know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    /// The `id` of the request this answers.
    pub id: u64,
    /// The cookie to echo.
    pub cookie: Vec<u8>,
    /// The listener's static public key. Unauthenticated: a client that pinned a key checks
    /// it against this one; a client that did not trusts it (encryption without pinning).
    pub key: [u8; 32],
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
    /// Type `4`.
    Retry(Retry),
}

/// Why bytes are not a zero message. Every case is a reason to drop the datagram, never to panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ZeroDecodeError {
    /// The datagram does not start with `00 00 00`; route it to the packet decoder instead.
    #[error("the datagram does not start with 00 00 00; decode it as a packet")]
    NotZero,
    /// The datagram is longer than [`ZERO_MAX_SIZE`].
    #[error("zero message longer than {ZERO_MAX_SIZE} bytes; send smaller messages")]
    Oversized,
    /// The JSON ends early.
    #[error("zero message truncated in the middle of its JSON; send the whole message")]
    Truncated,
    /// Not valid UTF-8 JSON, or something other than whitespace follows the object.
    #[error("zero message is not valid JSON; send one UTF-8 JSON object, padded with spaces")]
    BadJson,
    /// Valid JSON, but a member is missing, duplicated, of the wrong type, or out of range.
    #[error("zero message has a missing or mistyped member; check the tables in PROTOCOL.md")]
    WrongFields,
    /// A `"type"` this version does not know.
    #[error("zero message type {0} is unknown; types 0 to 4 exist")]
    UnknownType(u64),
}

impl ZeroMessage {
    /// The value of the `"type"` member.
    pub fn type_code(&self) -> u8 {
        match self {
            ZeroMessage::Request(_) => 0,
            ZeroMessage::Accepted(_) => 1,
            ZeroMessage::Rejected(_) => 2,
            ZeroMessage::Close(_) => 3,
            ZeroMessage::Retry(_) => 4,
        }
    }

    /// Writes the whole datagram into `buf` (cleared first). A request is padded with spaces to
    /// [`REQUEST_MIN_SIZE`]; other messages are not padded.
    pub fn encode(&self, buf: &mut Vec<u8>) {
        buf.clear();
        buf.extend_from_slice(&ZERO_HEADER);
        let written = match self {
            ZeroMessage::Request(r) => serde_json::to_writer(&mut *buf, &RequestWire::from(r)),
            ZeroMessage::Accepted(a) => serde_json::to_writer(&mut *buf, &AcceptedWire::from(a)),
            ZeroMessage::Rejected(r) => serde_json::to_writer(&mut *buf, &RejectedWire::from(r)),
            ZeroMessage::Close(c) => serde_json::to_writer(&mut *buf, &CloseWire::from(c)),
            ZeroMessage::Retry(r) => serde_json::to_writer(&mut *buf, &RetryWire::from(r)),
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
    /// plain `rejected` or `close` message's `data` with `null` when needed. Returns whether the
    /// result fits; `false` means even the message without data is too large (the caller must
    /// not send it).
    pub fn encode_within(&self, limit: usize, buf: &mut Vec<u8>) -> bool {
        self.encode(buf);
        if buf.len() <= limit {
            return true;
        }
        let stripped = match self {
            ZeroMessage::Rejected(Rejected { id, ack, body: RejectedBody::Plain { code, .. } }) => {
                let body = RejectedBody::Plain { code: *code, data: Value::Null };
                ZeroMessage::Rejected(Rejected { id: *id, ack: *ack, body })
            }
            ZeroMessage::Close(c) => ZeroMessage::Close(Close { data: Value::Null, ..c.clone() }),
            _ => return false,
        };
        stripped.encode(buf);
        buf.len() <= limit
    }

    /// Reads a zero message from a whole datagram.
    pub fn decode(datagram: &[u8]) -> Result<ZeroMessage, ZeroDecodeError> {
        let json = json_of(datagram)?;
        let probe: TypeProbe = parse(json)?;
        Ok(match probe.kind {
            0 => ZeroMessage::Request(parse::<RequestWire>(json)?.try_into()?),
            1 => ZeroMessage::Accepted(parse::<AcceptedWire>(json)?.try_into()?),
            2 => ZeroMessage::Rejected(parse::<RejectedWire>(json)?.try_into()?),
            3 => ZeroMessage::Close(parse::<CloseWire>(json)?.into()),
            4 => ZeroMessage::Retry(parse::<RetryWire>(json)?.try_into()?),
            other => return Err(ZeroDecodeError::UnknownType(other)),
        })
    }
}

/// What a listener reads of a request before deciding anything: its version and the
/// attempt it names (a version-1 request names it `seq`), so that even a request of another
/// version gets a refusal its sender can match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestProbe {
    /// The `"version"` member, if it is a `u32`.
    pub version: Option<u32>,
    /// The `"id"` member, if it is a `u64`.
    pub id: Option<u64>,
    /// The `"seq"` member, if it is a `u16` (how version 1 named an attempt).
    pub seq: Option<u16>,
}

impl RequestProbe {
    /// Reads the probe of a request, whatever its version; `None` if the datagram is not a
    /// readable JSON object of type 0.
    pub fn read(datagram: &[u8]) -> Option<RequestProbe> {
        let json = json_of(datagram).ok()?;
        let wire: ProbeWire = serde_json::from_slice(json).ok()?;
        (wire.kind == 0).then_some(RequestProbe {
            version: wire.version,
            id: wire.id,
            seq: wire.seq,
        })
    }
}

/// The JSON text of a zero message: header checked, size checked, UTF-8 checked (every byte,
/// including members that will be ignored).
fn json_of(datagram: &[u8]) -> Result<&[u8], ZeroDecodeError> {
    if !is_zero_message(datagram) {
        return Err(ZeroDecodeError::NotZero);
    }
    if datagram.len() > ZERO_MAX_SIZE {
        return Err(ZeroDecodeError::Oversized);
    }
    let json = &datagram[ZERO_HEADER.len()..];
    std::str::from_utf8(json).map_err(|_| ZeroDecodeError::BadJson)?;
    Ok(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(msg: ZeroMessage) {
        let mut buf = Vec::new();
        msg.encode(&mut buf);
        assert_eq!(ZeroMessage::decode(&buf), Ok(msg));
    }

    fn secure_request(noise: Option<Vec<u8>>, cookie: Option<Vec<u8>>) -> Request {
        Request {
            transport_id: u64::MAX,
            transport_version: 2,
            protocol_hash: 0x9b1c_0e55_d2a4_f7e0,
            id: u64::MAX - 1,
            mode: RequestMode::Secure { noise, cookie },
        }
    }

    #[test]
    fn every_type_round_trips() {
        round_trip(ZeroMessage::Request(secure_request(None, None)));
        round_trip(ZeroMessage::Request(secure_request(Some(vec![1; 96]), Some(vec![2; 16]))));
        let insecure =
            Request { mode: RequestMode::Insecure { seq: 7 }, ..secure_request(None, None) };
        round_trip(ZeroMessage::Request(insecure));
        round_trip(ZeroMessage::Accepted(Accepted {
            id: 1,
            body: AcceptedBody::Secure { noise: vec![3; 80] },
        }));
        round_trip(ZeroMessage::Accepted(Accepted {
            id: 1,
            body: AcceptedBody::Insecure { seq: 2, port: 40001 },
        }));
        round_trip(ZeroMessage::Rejected(Rejected {
            id: None,
            ack: Some(9),
            body: RejectedBody::Plain {
                code: ReasonCode::FULL,
                data: serde_json::json!({"retry_in_s": 30}),
            },
        }));
        round_trip(ZeroMessage::Rejected(Rejected {
            id: Some(5),
            ack: None,
            body: RejectedBody::Sealed { noise: vec![4; 70] },
        }));
        round_trip(ZeroMessage::Close(Close { code: ReasonCode::CLOSED, data: Value::Null }));
        round_trip(ZeroMessage::Retry(Retry { id: 6, cookie: vec![5; 16], key: [6; 32] }));
    }

    #[test]
    fn requests_are_padded_with_spaces_to_the_minimum() {
        let mut buf = Vec::new();
        ZeroMessage::Request(secure_request(None, None)).encode(&mut buf);
        assert_eq!(buf.len(), REQUEST_MIN_SIZE);
        assert_eq!(buf.last(), Some(&b' '));
    }

    #[test]
    fn bad_input_is_classified() {
        assert_eq!(ZeroMessage::decode(b"\0\0\0{\"type\":0"), Err(ZeroDecodeError::Truncated));
        assert_eq!(ZeroMessage::decode(b"\0\0\0{type:0}"), Err(ZeroDecodeError::BadJson));
        assert_eq!(
            ZeroMessage::decode(b"\0\0\0{\"type\":3,\"code\":1} x"),
            Err(ZeroDecodeError::BadJson)
        );
        assert_eq!(
            ZeroMessage::decode(b"\0\0\0{\"type\":1,\"id\":1,\"seq\":\"2\",\"port\":3}"),
            Err(ZeroDecodeError::WrongFields)
        );
        assert_eq!(
            ZeroMessage::decode(b"\0\0\0{\"type\":1,\"id\":1,\"seq\":70000,\"port\":3}"),
            Err(ZeroDecodeError::WrongFields)
        );
        assert_eq!(
            ZeroMessage::decode(b"\0\0\0{\"type\":3,\"code\":1,\"code\":2}"),
            Err(ZeroDecodeError::WrongFields),
            "a listed member twice"
        );
        assert_eq!(
            ZeroMessage::decode(b"\0\0\0{\"type\":3,\"code\":1,\"x\":\"\xff\"}"),
            Err(ZeroDecodeError::BadJson),
            "invalid UTF-8, even in an ignored member"
        );
        assert_eq!(
            ZeroMessage::decode(b"\0\0\0{\"type\":4,\"id\":1,\"cookie\":\"!!\",\"key\":\"\"}"),
            Err(ZeroDecodeError::WrongFields),
            "bad base64"
        );
        assert_eq!(ZeroMessage::decode(b"\0\0\0[]"), Err(ZeroDecodeError::WrongFields));
        assert_eq!(
            ZeroMessage::decode(b"\0\0\0{\"type\":9}"),
            Err(ZeroDecodeError::UnknownType(9))
        );
        assert_eq!(ZeroMessage::decode(b"\0\0"), Err(ZeroDecodeError::NotZero));
        let mut long = b"\0\0\0{\"type\":3,\"code\":0}".to_vec();
        long.resize(ZERO_MAX_SIZE + 1, b' ');
        assert_eq!(ZeroMessage::decode(&long), Err(ZeroDecodeError::Oversized));
        assert_eq!(
            ZeroMessage::decode(b"\0\0\0{\"type\":3,\"code\":0}\t\r\n "),
            Ok(ZeroMessage::Close(Close { code: ReasonCode::CLOSED, data: Value::Null })),
            "any JSON whitespace may pad"
        );
    }

    #[test]
    fn a_request_of_another_version_is_still_probed() {
        let v1 = b"\0\0\0{\"type\":0,\"transport\":1,\"version\":1,\"hash\":2,\"seq\":4660}";
        assert_eq!(ZeroMessage::decode(v1), Err(ZeroDecodeError::WrongFields));
        let probe = RequestProbe::read(v1).unwrap();
        assert_eq!((probe.version, probe.id, probe.seq), (Some(1), None, Some(4660)));
        assert_eq!(RequestProbe::read(b"\0\0\0{\"type\":3,\"code\":0}"), None);
    }

    #[test]
    fn encode_within_drops_data_that_does_not_fit() {
        let big = Value::String("x".repeat(2000));
        let body = RejectedBody::Plain { code: ReasonCode::FULL, data: big };
        let msg = ZeroMessage::Rejected(Rejected { id: Some(3), ack: None, body });
        let mut buf = Vec::new();
        assert!(msg.encode_within(REQUEST_MIN_SIZE, &mut buf));
        let body = RejectedBody::Plain { code: ReasonCode::FULL, data: Value::Null };
        assert_eq!(
            ZeroMessage::decode(&buf),
            Ok(ZeroMessage::Rejected(Rejected { id: Some(3), ack: None, body }))
        );
    }
}
