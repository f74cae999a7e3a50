//! The clear header of a sealed packet, and the stateless reset that looks like one.
//!
//! ```text
//! sealed packet   = 0x10  cid:u64  pn:u16  ciphertext  tag[16]      (at least 28 bytes)
//! stateless reset = 0x10  cid:u64  random[2]  token[16]             (exactly 27 bytes)
//! ```
//! All integers big-endian. The ciphertext is the packet without its number (its kind byte,
//! then its body), sealed with the clear header (the first 11 bytes) as associated data.
//! `docs/PROTOCOL.md`, section 5, is the normative description.

/// The first byte of every sealed packet and stateless reset: never `00`, never a plaintext
/// packet type.
pub const SEALED: u8 = 0x10;
/// Bytes of the clear header: marker, connection id, packet number.
pub const SEALED_HEADER_LEN: usize = 1 + 8 + 2;
/// Bytes of the authentication tag.
pub const TAG_LEN: usize = 16;
/// The smallest sealed packet: a header, one byte of ciphertext (the packet's kind), a tag.
pub const SEALED_MIN_LEN: usize = SEALED_HEADER_LEN + 1 + TAG_LEN;
/// Bytes of a stateless reset: one less than the smallest sealed packet, so a reset is never
/// taken for a packet, and never answered with a reset.
pub const RESET_LEN: usize = SEALED_MIN_LEN - 1;
/// How much longer a sealed packet is than the plaintext packet it carries (whose own
/// three-byte type and number it replaces with the clear header, the kind and the tag).
pub const SEAL_OVERHEAD: usize = SEALED_HEADER_LEN + 1 + TAG_LEN - 3;

/// Whether `datagram` has the shape of a sealed packet or a stateless reset (its first byte
/// and length); nothing about it is authenticated yet.
pub fn is_sealed(datagram: &[u8]) -> bool {
    datagram.len() >= RESET_LEN && datagram[0] == SEALED
}

/// The connection id in the clear header of a sealed packet or reset, if `datagram` has the
/// shape of one.
pub fn sealed_cid(datagram: &[u8]) -> Option<u64> {
    if !is_sealed(datagram) {
        return None;
    }
    let bytes: [u8; 8] = datagram[1..9].try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

/// The 16-bit packet number in the clear header of a sealed packet.
pub(crate) fn sealed_pn(datagram: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes([*datagram.get(9)?, *datagram.get(10)?]))
}

/// The kind byte of a close packet: only ever sealed (an insecure connection closes with a
/// `close` zero message). Body: `code:u16`, then the UTF-8 JSON of its data to the end.
pub const CLOSE_KIND: u8 = 0x03;

/// Writes the plaintext of a close packet numbered `pn` into `out` (cleared first).
pub(crate) fn write_close(pn: u16, code: u16, data: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.push(CLOSE_KIND);
    out.extend_from_slice(&pn.to_be_bytes());
    out.extend_from_slice(&code.to_be_bytes());
    out.extend_from_slice(data);
}

/// The code and data of a close packet's plaintext (kind, number, body); data that is not
/// UTF-8 JSON reads as `null`. `None` when `plain` is not a close packet.
pub(crate) fn read_close(plain: &[u8]) -> Option<(u16, serde_json::Value)> {
    if plain.first() != Some(&CLOSE_KIND) || plain.len() < 5 {
        return None;
    }
    let code = u16::from_be_bytes([plain[3], plain[4]]);
    let data = std::str::from_utf8(&plain[5..])
        .ok()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or(serde_json::Value::Null);
    Some((code, data))
}
