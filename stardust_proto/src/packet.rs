//! The game-packet wire format: header, acks and message frames.
//!
//! ```text
//! packet  = type:u8  seq:u16  ack:u16  ack_bits:u64  frame*
//! frame   = channel:u24  flags:u8  msg_seq:u16  [frag_index:u16  frag_count:u16]  len:u16  payload
//! ```
//! All integers are big-endian. `type` is never zero, so a game packet never starts with
//! the zero-message header `00 00 00`. `channel` is the channel id plus one. Bit 0 of
//! `flags` says the two fragment fields are present; every other bit must be zero.
//! `docs/PROTOCOL.md`, section 3, is the normative description with worked examples.

use bytes::Bytes;

use crate::ChannelId;

/// Bytes in a packet header: type, sequence, ack and the 64-bit ack bitfield.
pub const PACKET_HEADER_LEN: usize = 1 + 2 + 2 + 8;
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

/// The fixed part at the start of every game packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketHeader {
    /// What follows the header.
    pub packet_type: PacketType,
    /// This packet's number; consecutive packets of one sender count up by one, wrapping.
    pub seq: u16,
    /// The newest packet number the sender has received from its peer.
    pub ack: u16,
    /// Bit `i` set: packet `ack - 1 - i` was received too.
    pub ack_bits: u64,
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

/// Reads the header at the start of `datagram`; frames follow at [`PACKET_HEADER_LEN`].
pub fn decode_header(datagram: &[u8]) -> Result<PacketHeader, PacketError> {
    if datagram.len() >= 3 && datagram[..3] == [0, 0, 0] {
        return Err(PacketError::ZeroMessage);
    }
    let Some(head) = datagram.get(..PACKET_HEADER_LEN) else {
        return Err(PacketError::Truncated);
    };
    let packet_type = PacketType::from_byte(head[0]).ok_or(PacketError::UnknownType(head[0]))?;
    if packet_type == PacketType::Ack && datagram.len() > PACKET_HEADER_LEN {
        return Err(PacketError::FramesInAck);
    }
    Ok(PacketHeader {
        packet_type,
        seq: u16::from_be_bytes([head[1], head[2]]),
        ack: u16::from_be_bytes([head[3], head[4]]),
        ack_bits: u64::from_be_bytes(head[5..13].try_into().unwrap_or_default()),
    })
}

/// Appends the encoding of `header` to `buf`.
pub fn encode_header(header: &PacketHeader, buf: &mut Vec<u8>) {
    buf.push(header.packet_type.to_byte());
    buf.extend_from_slice(&header.seq.to_be_bytes());
    buf.extend_from_slice(&header.ack.to_be_bytes());
    buf.extend_from_slice(&header.ack_bits.to_be_bytes());
}

/// Appends one frame: `header` followed by `payload`.
///
/// The caller keeps `payload.len() <= u16::MAX` (a frame always fits one datagram).
pub fn encode_frame(header: &FrameHeader, payload: &[u8], buf: &mut Vec<u8>) {
    debug_assert!(payload.len() <= u16::MAX as usize);
    buf.extend_from_slice(&header.channel.to_wire());
    match header.fragment {
        None => {
            buf.push(0);
            buf.extend_from_slice(&header.msg_seq.to_be_bytes());
        }
        Some(f) => {
            buf.push(FLAG_FRAGMENT);
            buf.extend_from_slice(&header.msg_seq.to_be_bytes());
            buf.extend_from_slice(&f.index.to_be_bytes());
            buf.extend_from_slice(&f.count.to_be_bytes());
        }
    }
    buf.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    buf.extend_from_slice(payload);
}

/// Iterates over the frames after a packet header, yielding zero-copy payload slices.
///
/// Stops at the first malformed frame, yielding its error once.
pub struct FrameIter {
    data: Bytes,
    pos: usize,
    failed: bool,
}

impl FrameIter {
    /// Frames of `datagram`, which starts with a packet header.
    pub fn new(datagram: Bytes) -> FrameIter {
        let pos = PACKET_HEADER_LEN.min(datagram.len());
        FrameIter { data: datagram, pos, failed: false }
    }

    fn read(&mut self) -> Result<(FrameHeader, Bytes), PacketError> {
        let rest = &self.data[self.pos..];
        let Some(fixed) = rest.get(..FRAME_HEADER_LEN - 2) else {
            return Err(PacketError::Truncated);
        };
        let channel = ChannelId::from_wire([fixed[0], fixed[1], fixed[2]])
            .map_err(|_| PacketError::ZeroMessage)?;
        let flags = fixed[3];
        let msg_seq = u16::from_be_bytes([fixed[4], fixed[5]]);
        let (fragment, at) = match flags {
            0 => (None, 6),
            FLAG_FRAGMENT => {
                let f = rest.get(6..10).ok_or(PacketError::Truncated)?;
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
        let header = FrameHeader { channel, msg_seq, fragment };
        Ok((header, self.data.slice(start..start + len)))
    }
}

impl Iterator for FrameIter {
    type Item = Result<(FrameHeader, Bytes), PacketError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.data.len() {
            return None;
        }
        let item = self.read();
        self.failed = item.is_err();
        Some(item)
    }
}

/// Decodes a whole packet: its header and every frame, or the first error.
///
/// Convenience for tests and tools; the session decodes incrementally without collecting.
pub fn decode_packet(
    datagram: Bytes,
) -> Result<(PacketHeader, Vec<(FrameHeader, Bytes)>), PacketError> {
    let header = decode_header(&datagram)?;
    let frames = FrameIter::new(datagram).collect::<Result<Vec<_>, _>>()?;
    Ok((header, frames))
}
