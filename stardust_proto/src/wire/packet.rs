//! The game-packet wire format: header, acks and message frames.
//!
//! ```text
//! packet  = type:u8  seq:u16  ack_count:u8  ack_block{ack_count}  frame*
//! ack_block = ack:u16  ack_bits:u64
//! frame   = channel:u24  flags:u8  msg_seq:u16  [frag_index:u16  frag_count:u16]  len:u16  payload
//! ```
//! All integers are big-endian. `type` is never zero, so a game packet never starts with
//! the zero-message header `00 00 00`. `channel` is the channel id plus one. Bit 0 of
//! `flags` says the two fragment fields are present; every other bit must be zero.
//! `docs/PROTOCOL.md`, section 6, is the normative description; its worked examples are checked
//! by `tests/wire/protocol_md_vectors.rs`.

use std::ops::Range;

use bytes::Bytes;

use crate::channel::ChannelId;

/// Bytes in a packet header before its ack blocks: type, sequence and the block count.
pub const PACKET_HEADER_BASE_LEN: usize = 1 + 2 + 1;
/// Bytes in one ack block: a packet number and a 64-bit bitfield.
pub const ACK_BLOCK_LEN: usize = 2 + 8;
/// Most ack blocks a packet may carry; more is malformed.
pub const MAX_ACK_BLOCKS: usize = 32;
/// Most ack blocks a data packet carries, so every frame size the sender plans for fits.
pub const MAX_DATA_ACK_BLOCKS: usize = 3;
/// The longest header of a data packet: [`MAX_DATA_ACK_BLOCKS`] ack blocks.
pub const MAX_DATA_HEADER_LEN: usize = PACKET_HEADER_BASE_LEN + MAX_DATA_ACK_BLOCKS * ACK_BLOCK_LEN;
/// Bytes in the header of an unfragmented message frame.
pub const FRAME_HEADER_LEN: usize = 3 + 1 + 2 + 2;
/// Bytes in the header of a fragment frame.
pub const FRAGMENT_FRAME_HEADER_LEN: usize = FRAME_HEADER_LEN + 4;

const FLAG_FRAGMENT: u8 = 0x01;

/// What a game packet carries, from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketType {
    /// `0x01`: messages (possibly none: a keep-alive). The receiver must acknowledge it.
    Data,
    /// `0x02`: acknowledgements only, no frames. Never acknowledged itself.
    Ack,
}

impl PacketType {
    /// The first byte of a packet of this type; never zero.
    pub const fn to_byte(self) -> u8 {
        match self {
            PacketType::Data => 0x01,
            PacketType::Ack => 0x02,
        }
    }

    /// The type named by `byte`, or `None` for a byte this version does not know.
    pub const fn from_byte(byte: u8) -> Option<PacketType> {
        match byte {
            0x01 => Some(PacketType::Data),
            0x02 => Some(PacketType::Ack),
            _ => None,
        }
    }
}

/// Acknowledges up to 65 consecutive packet numbers of the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckBlock {
    /// A packet number received from the peer.
    pub ack: u16,
    /// Bit `i` set: packet `ack - 1 - i` was received too.
    pub ack_bits: u64,
}

/// The start of every game packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketHeader {
    /// What follows the header.
    pub packet_type: PacketType,
    /// This packet's number; consecutive packets of one sender count up by one, wrapping.
    pub seq: u16,
    /// Packets of the peer acknowledged here; the first block names the newest one received.
    pub acks: Vec<AckBlock>,
}

impl PacketHeader {
    /// Bytes this header takes on the wire; frames start there.
    pub fn encoded_len(&self) -> usize {
        PACKET_HEADER_BASE_LEN + self.acks.len() * ACK_BLOCK_LEN
    }
}

/// Where a frame sits inside a fragmented message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentInfo {
    /// Position of this fragment, `< count`.
    pub index: u16,
    /// Number of fragments of the message, `>= 2`.
    pub count: u16,
}

/// The header of one message frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// The channel the message belongs to.
    pub channel: ChannelId,
    /// The message's number on its channel (wrapping); all fragments of a message share it.
    pub msg_seq: u16,
    /// Present when the frame carries one fragment of a larger message.
    pub fragment: Option<FragmentInfo>,
}

impl FrameHeader {
    /// Bytes this header takes on the wire.
    pub const fn encoded_len(&self) -> usize {
        if self.fragment.is_some() { FRAGMENT_FRAME_HEADER_LEN } else { FRAME_HEADER_LEN }
    }
}

/// Why bytes are not a well-formed game packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PacketError {
    /// The datagram ends inside a header or a payload.
    #[error("the packet is truncated; the sender must write whole headers and the full payload")]
    Truncated,
    /// The first three bytes are `00 00 00`.
    #[error("the packet starts with 00 00 00, a zero message; route it to the connection protocol")]
    ZeroMessage,
    /// The first byte is not a known packet type.
    #[error("unknown packet type {0:#04x}; only 0x01 (data) and 0x02 (ack) exist in this version")]
    UnknownType(u8),
    /// More ack blocks than [`MAX_ACK_BLOCKS`].
    #[error("{0} ack blocks is more than the 32 allowed; split acknowledgements over packets")]
    TooManyAckBlocks(u8),
    /// An ack packet carries frames.
    #[error("an ack packet must end after its header; send messages in data packets")]
    FramesInAck,
    /// A frame sets flag bits this version does not define.
    #[error("frame flags {0:#04x} set undefined bits; only bit 0 (fragment) is defined")]
    BadFlags(u8),
    /// A fragment index is not below its count, or the count is below two.
    #[error(
        "impossible fragment {index} of {count}; the index must be below a count of at least 2"
    )]
    BadFragment {
        /// The index read from the wire.
        index: u16,
        /// The count read from the wire.
        count: u16,
    },
}

/// Reads the fixed part of the header at the start of `datagram`: type, sequence number and
/// the ack blocks (visited by [`ack_blocks`]); frames start at the returned offset.
pub fn decode_header_fields(datagram: &[u8]) -> Result<(PacketType, u16, usize), PacketError> {
    if datagram.len() >= 3 && datagram[..3] == [0, 0, 0] {
        return Err(PacketError::ZeroMessage);
    }
    let Some(head) = datagram.get(..PACKET_HEADER_BASE_LEN) else {
        return Err(PacketError::Truncated);
    };
    let packet_type = PacketType::from_byte(head[0]).ok_or(PacketError::UnknownType(head[0]))?;
    let seq = u16::from_be_bytes([head[1], head[2]]);
    let blocks = head[3];
    if blocks as usize > MAX_ACK_BLOCKS {
        return Err(PacketError::TooManyAckBlocks(blocks));
    }
    let end = PACKET_HEADER_BASE_LEN + blocks as usize * ACK_BLOCK_LEN;
    if datagram.len() < end {
        return Err(PacketError::Truncated);
    }
    if packet_type == PacketType::Ack && datagram.len() > end {
        return Err(PacketError::FramesInAck);
    }
    Ok((packet_type, seq, end))
}

/// The ack blocks of a datagram whose header [`decode_header_fields`] accepted.
pub fn ack_blocks(datagram: &[u8]) -> impl Iterator<Item = AckBlock> + '_ {
    let count = datagram.get(3).copied().unwrap_or(0) as usize;
    let body = datagram.get(PACKET_HEADER_BASE_LEN..).unwrap_or_default();
    body.chunks_exact(ACK_BLOCK_LEN).take(count).map(|b| AckBlock {
        ack: u16::from_be_bytes([b[0], b[1]]),
        ack_bits: u64::from_be_bytes([b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9]]),
    })
}

/// Reads the whole header at the start of `datagram`.
pub fn decode_header(datagram: &[u8]) -> Result<PacketHeader, PacketError> {
    let (packet_type, seq, _) = decode_header_fields(datagram)?;
    Ok(PacketHeader { packet_type, seq, acks: ack_blocks(datagram).collect() })
}

/// Appends the encoding of a header to `buf`. At most [`MAX_ACK_BLOCKS`] of `acks` are written.
pub fn encode_header(packet_type: PacketType, seq: u16, acks: &[AckBlock], buf: &mut Vec<u8>) {
    let acks = &acks[..acks.len().min(MAX_ACK_BLOCKS)];
    buf.push(packet_type.to_byte());
    buf.extend_from_slice(&seq.to_be_bytes());
    buf.push(acks.len() as u8);
    for block in acks {
        buf.extend_from_slice(&block.ack.to_be_bytes());
        buf.extend_from_slice(&block.ack_bits.to_be_bytes());
    }
}

/// Appends one frame: `header` followed by `payload`.
///
/// The caller keeps `payload.len() <= u16::MAX` (a frame always fits one datagram).
pub fn encode_frame(header: &FrameHeader, payload: &[u8], buf: &mut Vec<u8>) {
    debug_assert!(payload.len() <= u16::MAX as usize);
    let [c0, c1, c2] = header.channel.to_wire();
    let [s0, s1] = header.msg_seq.to_be_bytes();
    let [l0, l1] = (payload.len() as u16).to_be_bytes();
    buf.reserve(FRAGMENT_FRAME_HEADER_LEN + payload.len());
    match header.fragment {
        None => buf.extend_from_slice(&[c0, c1, c2, 0, s0, s1, l0, l1]),
        Some(f) => {
            let [i0, i1] = f.index.to_be_bytes();
            let [n0, n1] = f.count.to_be_bytes();
            buf.extend_from_slice(&[c0, c1, c2, FLAG_FRAGMENT, s0, s1, i0, i1, n0, n1, l0, l1]);
        }
    }
    buf.extend_from_slice(payload);
}

/// Iterates over the frames after a packet header, yielding each header and the byte range of
/// its payload within the datagram (slice a `Bytes` with it for a zero-copy payload).
///
/// Stops at the first malformed frame, yielding its error once.
pub struct FrameIter<'a> {
    data: &'a [u8],
    pos: usize,
    failed: bool,
}

impl<'a> FrameIter<'a> {
    /// Frames of `datagram` starting at byte `offset` (the end of its header).
    pub fn new(datagram: &'a [u8], offset: usize) -> FrameIter<'a> {
        FrameIter { data: datagram, pos: offset.min(datagram.len()), failed: false }
    }

    #[inline]
    fn read(&mut self) -> Result<(FrameHeader, Range<usize>), PacketError> {
        let rest = &self.data[self.pos..];
        let Some(fixed) = rest.get(..FRAME_HEADER_LEN) else {
            return Err(PacketError::Truncated);
        };
        let channel = ChannelId::from_wire([fixed[0], fixed[1], fixed[2]])
            .map_err(|_| PacketError::ZeroMessage)?;
        let flags = fixed[3];
        let msg_seq = u16::from_be_bytes([fixed[4], fixed[5]]);
        let (fragment, at) = match flags {
            0 => (None, 6),
            FLAG_FRAGMENT => {
                let f = rest.get(6..FRAGMENT_FRAME_HEADER_LEN).ok_or(PacketError::Truncated)?;
                let index = u16::from_be_bytes([f[0], f[1]]);
                let count = u16::from_be_bytes([f[2], f[3]]);
                if count < 2 || index >= count {
                    return Err(PacketError::BadFragment { index, count });
                }
                (Some(FragmentInfo { index, count }), 10)
            }
            other => return Err(PacketError::BadFlags(other)),
        };
        let l = rest.get(at..at + 2).ok_or(PacketError::Truncated)?;
        let len = u16::from_be_bytes([l[0], l[1]]) as usize;
        let start = self.pos + at + 2;
        if self.data.len() - start < len {
            return Err(PacketError::Truncated);
        }
        self.pos = start + len;
        Ok((FrameHeader { channel, msg_seq, fragment }, start..start + len))
    }
}

impl Iterator for FrameIter<'_> {
    type Item = Result<(FrameHeader, Range<usize>), PacketError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.data.len() {
            return None;
        }
        let item = self.read();
        self.failed = item.is_err();
        Some(item)
    }
}

/// A decoded packet: its header and each frame with its payload.
pub type DecodedPacket = (PacketHeader, Vec<(FrameHeader, Bytes)>);

/// Decodes a whole packet: its header and every frame, or the first error.
///
/// Convenience for tests and tools; the session decodes incrementally without collecting.
pub fn decode_packet(
    datagram: Bytes,
) -> Result<(PacketHeader, Vec<(FrameHeader, Bytes)>), PacketError> {
    let header = decode_header(&datagram)?;
    let offset = header.encoded_len();
    let frames = FrameIter::new(&datagram, offset)
        .map(|frame| frame.map(|(header, range)| (header, datagram.slice(range))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((header, frames))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_never_start_with_the_zero_header_and_reject_it() {
        for t in [PacketType::Data, PacketType::Ack] {
            let mut buf = Vec::new();
            encode_header(t, 0, &[], &mut buf);
            assert_ne!(&buf[..3], &[0, 0, 0]);
        }
        assert_eq!(decode_header(&[0, 0, 0, 1]), Err(PacketError::ZeroMessage));
    }
}
