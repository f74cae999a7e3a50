//! The wire format of typed messages: postcard, exactly one value per payload
//! (docs/PROTOCOL.md, "Typed messages").

use bytes::{BufMut, Bytes, BytesMut};
use postcard::ser_flavors::Flavor;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::messages::SendError;

/// How much a writer's arena grows by when it runs low: encodings are cut from shared
/// chunks of this size, so sending small typed messages allocates about once per chunk
/// rather than once per message. A chunk lives until the last message cut from it is
/// dropped (sent, or acknowledged on a reliable channel). An encoding larger than a chunk
/// gets an allocation of its own size.
const ARENA_CHUNK: usize = 4096;

/// Below this much free room the arena takes a new chunk before encoding.
const ARENA_LOW: usize = 256;

/// Why a value was not encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EncodeFailure {
    /// The encoding is `size` bytes, more than the channel's `max_size`.
    TooLarge { size: usize, max_size: u32 },
    /// The value's `Serialize` impl failed, or used what postcard cannot encode.
    Serde(String),
}

impl EncodeFailure {
    pub(crate) fn into_send_error(self, channel: &'static str) -> SendError {
        match self {
            EncodeFailure::TooLarge { size, max_size } => {
                SendError::TooLarge { channel, size, max_size }
            }
            EncodeFailure::Serde(reason) => SendError::Encode { channel, reason },
        }
    }
}

/// Where a writer's typed messages are encoded: a scratch buffer that postcard writes into
/// byte by byte (cheap pushes, no call per field), and the arena each finished encoding is
/// copied into and cut from.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct Encoder {
    scratch: Vec<u8>,
    arena: BytesMut,
}

/// Writes into the scratch buffer while the encoding fits in `max` bytes and keeps counting
/// past it, so an oversize value is measured exactly without growing beyond the limit.
struct Limited<'a> {
    scratch: &'a mut Vec<u8>,
    len: usize,
    max: usize,
}

impl Flavor for Limited<'_> {
    type Output = usize;

    #[inline]
    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        if self.len < self.max {
            self.scratch.push(byte);
        }
        self.len += 1;
        Ok(())
    }

    #[inline]
    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        let room = self.max.saturating_sub(self.len);
        self.scratch.extend_from_slice(&data[..data.len().min(room)]);
        self.len += data.len();
        Ok(())
    }

    fn finalize(self) -> postcard::Result<usize> {
        Ok(self.len)
    }
}

/// `value`'s postcard encoding, cut from the encoder's arena. Refused, with nothing kept,
/// above `max_size` bytes.
pub(crate) fn encode<M: Serialize + ?Sized>(
    value: &M,
    encoder: &mut Encoder,
    max_size: u32,
) -> Result<Bytes, EncodeFailure> {
    let max = usize::try_from(max_size).unwrap_or(usize::MAX);
    encoder.scratch.clear();
    let flavor = Limited { scratch: &mut encoder.scratch, len: 0, max };
    match postcard::serialize_with_flavor(value, flavor) {
        Ok(size) if size <= max => {
            let arena = &mut encoder.arena;
            if arena.capacity() < encoder.scratch.len().max(ARENA_LOW) {
                arena.reserve(ARENA_CHUNK.max(encoder.scratch.len()));
            }
            arena.put_slice(&encoder.scratch);
            Ok(arena.split().freeze())
        }
        Ok(size) => Err(EncodeFailure::TooLarge { size, max_size }),
        Err(error) => Err(EncodeFailure::Serde(error.to_string())),
    }
}

/// The value `payload` encodes, if it is exactly one postcard encoding of an `M` (no
/// trailing bytes).
pub(crate) fn decode<M: DeserializeOwned>(payload: &[u8]) -> Option<M> {
    match postcard::take_from_bytes::<M>(payload) {
        Ok((value, [])) => Some(value),
        _ => None,
    }
}

/// Whether `payload` [decodes](decode) as an `M`.
pub(crate) fn decodes<M: DeserializeOwned>(payload: &[u8]) -> bool {
    decode::<M>(payload).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Line {
        from: u32,
        text: String,
    }

    #[test]
    fn round_trip_is_exact_and_compact() {
        let mut encoder = Encoder::default();
        let line = Line { from: 300, text: "hi".into() };
        let bytes = encode(&line, &mut encoder, 64).unwrap();
        // varint 300 = ac 02, then the string's length and bytes.
        assert_eq!(&bytes[..], &[0xac, 0x02, 0x02, b'h', b'i']);
        assert!(encoder.arena.is_empty());
        assert_eq!(decode::<Line>(&bytes), Some(line));
    }

    #[test]
    fn oversize_is_measured_and_nothing_is_kept() {
        let mut encoder = Encoder::default();
        let line = Line { from: 1, text: "x".repeat(100) };
        let failure = encode(&line, &mut encoder, 10).unwrap_err();
        assert_eq!(failure, EncodeFailure::TooLarge { size: 102, max_size: 10 });
        assert!(encoder.arena.is_empty());
        assert!(encoder.scratch.len() <= 10, "nothing past the limit was written");
        // The encoder still works after a refusal.
        let empty = encode(&Line { from: 1, text: String::new() }, &mut encoder, 10).unwrap();
        assert_eq!(&empty[..], &[1, 0]);
    }

    #[test]
    fn trailing_or_missing_bytes_do_not_decode() {
        let mut encoder = Encoder::default();
        let bytes = encode(&Line { from: 7, text: "ok".into() }, &mut encoder, 64).unwrap();
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert_eq!(decode::<Line>(&longer), None);
        assert_eq!(decode::<Line>(&bytes[..bytes.len() - 1]), None);
        assert!(!decodes::<Line>(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    }

    #[test]
    fn small_messages_share_arena_chunks() {
        let mut encoder = Encoder::default();
        let first = encode(&1u64, &mut encoder, 64).unwrap();
        let second = encode(&2u64, &mut encoder, 64).unwrap();
        // Cut from one allocation: the second starts where the first ends.
        assert_eq!(first.as_ptr().wrapping_add(first.len()), second.as_ptr());
        // An encoding larger than a chunk still goes through whole.
        let big = vec![7u8; ARENA_CHUNK * 2];
        let encoded = encode(&big, &mut encoder, u32::MAX).unwrap();
        assert_eq!(encoded.len(), ARENA_CHUNK * 2 + 2);
        assert_eq!(decode::<Vec<u8>>(&encoded), Some(big));
    }
}
