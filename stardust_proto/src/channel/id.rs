//! The 24-bit channel identifier and its wire form.

use core::fmt;

use crate::hash::fnv1a_64;

/// Identifies a channel on the wire: a 24-bit number in `0..=0xFF_FFFE`.
///
/// Invariant: the value is at most [`ChannelId::MAX`], so `value + 1` always fits
/// in three bytes and is never zero. The all-zero three-byte header is reserved for
/// connection-protocol "zero messages", which is why channels travel as `id + 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChannelId(u32);

/// Why three bytes read from the wire are not a channel id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireChannelIdError {
    /// `00 00 00` is the zero-message header, never a game channel.
    #[error(
        "the header 00 00 00 marks a zero message, not a channel; route it to the connection protocol"
    )]
    ZeroMessage,
}

impl ChannelId {
    /// The largest channel id, `0xFF_FFFE`: its wire form `0xFF_FFFF` is the last three-byte value.
    pub const MAX: u32 = 0xFF_FFFE;

    /// Returns the id `value`, or `None` if it is above [`ChannelId::MAX`].
    pub const fn new(value: u32) -> Option<ChannelId> {
        if value <= Self::MAX { Some(ChannelId(value)) } else { None }
    }

    /// The id as a number, always `<= ChannelId::MAX`.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The stable id derived from `name`; see [`channel_id_hash`] for the algorithm.
    pub const fn from_name(name: &str) -> ChannelId {
        ChannelId(channel_id_hash(name.as_bytes()))
    }

    /// The three bytes that carry this id on the wire: `id + 1`, big-endian. Never `00 00 00`.
    pub const fn to_wire(self) -> [u8; 3] {
        let wire = self.0 + 1;
        [(wire >> 16) as u8, (wire >> 8) as u8, wire as u8]
    }

    /// Reads an id from its wire form, rejecting the zero-message header `00 00 00`.
    pub const fn from_wire(bytes: [u8; 3]) -> Result<ChannelId, WireChannelIdError> {
        let wire = ((bytes[0] as u32) << 16) | ((bytes[1] as u32) << 8) | bytes[2] as u32;
        if wire == 0 { Err(WireChannelIdError::ZeroMessage) } else { Ok(ChannelId(wire - 1)) }
    }
}

impl fmt::Display for ChannelId {
    /// Six upper-case hex digits with a `0x` prefix, e.g. `0x00BEEF`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:06X}", self.0)
    }
}

impl From<ChannelId> for u32 {
    fn from(id: ChannelId) -> u32 {
        id.0
    }
}

/// The stable 24-bit hash behind every channel id that is not given explicitly.
///
/// Algorithm (fixed forever: changing it changes every derived id):
/// 1. FNV-1a, 64-bit, over the UTF-8 bytes of the input: start from
///    `0xcbf29ce484222325`; for each byte, `h ^= byte; h = h.wrapping_mul(0x100000001b3)`.
/// 2. Reduce modulo `0xFF_FFFF`, which gives a value in `0..=0xFF_FFFE`, so the result
///    is always a valid [`ChannelId`].
///
/// The input is the `name = "…"` string when the channel gives one, otherwise the
/// type's full path `module_path!() + "::" + ident` (e.g. `my_game::net::Chat`).
pub const fn channel_id_hash(bytes: &[u8]) -> u32 {
    let h = fnv1a_64(bytes);
    (h % 0xFF_FFFF) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form_is_id_plus_one_big_endian() {
        let id = ChannelId::new(0x00BEEF).unwrap();
        assert_eq!(id.to_wire(), [0x00, 0xBE, 0xF0]);
        assert_eq!(ChannelId::from_wire([0x00, 0xBE, 0xF0]), Ok(id));
        assert_eq!(ChannelId::new(0).unwrap().to_wire(), [0, 0, 1]);
        assert_eq!(ChannelId::new(ChannelId::MAX).unwrap().to_wire(), [0xFF, 0xFF, 0xFF]);
        assert_eq!(ChannelId::from_wire([0, 0, 0]), Err(WireChannelIdError::ZeroMessage));
    }

    #[test]
    fn new_rejects_values_above_max() {
        assert!(ChannelId::new(0xFF_FFFE).is_some());
        assert!(ChannelId::new(0xFF_FFFF).is_none());
        assert!(ChannelId::new(u32::MAX).is_none());
    }

    #[test]
    fn display_is_six_hex_digits() {
        assert_eq!(ChannelId::new(0xBEEF).unwrap().to_string(), "0x00BEEF");
        assert_eq!(ChannelId::new(0).unwrap().to_string(), "0x000000");
    }
}
