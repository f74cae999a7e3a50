//! Sealing and opening packets once the handshake is over: ChaCha20-Poly1305 with the
//! direction's key from the Noise split, a 64-bit packet counter as nonce (rebuilt from the
//! 16 bits on the wire), the clear header as associated data, and a replay window that only
//! authenticated packets move.

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce, Tag};

use crate::wire::sealed::{
    SEALED, SEALED_HEADER_LEN, SEALED_MIN_LEN, TAG_LEN, sealed_cid, sealed_pn,
};

/// How many packet numbers behind the newest authenticated one are still accepted once.
pub const REPLAY_WINDOW: u64 = 1024;

/// The two keys of a connection from the Noise split: `send` seals what this side sends,
/// `recv` opens what it receives.
#[derive(Clone, PartialEq, Eq)]
pub struct SealKeys {
    /// This side's sending key.
    pub send: [u8; 32],
    /// The peer's sending key.
    pub recv: [u8; 32],
}

impl core::fmt::Debug for SealKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SealKeys { .. }")
    }
}

/// The nonce of packet `pn`: 32 zero bits, then `pn` little-endian (Noise's ChaChaPoly nonce).
fn nonce(pn: u64) -> Nonce {
    let mut bytes = [0; 12];
    bytes[4..].copy_from_slice(&pn.to_le_bytes());
    Nonce::from(bytes)
}

/// Seals this side's packets. Invariant: every packet gets the next number of a 64-bit
/// counter that never goes back, so no nonce is ever used twice with its key.
pub struct Sealer {
    cipher: ChaCha20Poly1305,
    cid: u64,
    next: u64,
}

impl core::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Sealer {{ cid: {:016x}, next: {} }}", self.cid, self.next)
    }
}

impl Sealer {
    /// Seals with `key` for connection `cid`, numbering from 0.
    pub fn new(key: &[u8; 32], cid: u64) -> Self {
        Self { cipher: ChaCha20Poly1305::new(Key::from_slice(key)), cid, next: 0 }
    }

    /// The connection id every sealed packet carries.
    pub fn cid(&self) -> u64 {
        self.cid
    }

    /// The number the next sealed packet gets (its low 16 bits are what the session must
    /// have written).
    pub fn next_pn(&self) -> u64 {
        self.next
    }

    /// Seals `packet` (a plaintext packet: kind, 16-bit number, body) into `out` (cleared
    /// first). Its number must be the low 16 bits of [`next_pn`](Self::next_pn); `false` (and
    /// nothing written) when it is not, or `packet` is shorter than 3 bytes.
    pub fn seal(&mut self, packet: &[u8], out: &mut Vec<u8>) -> bool {
        out.clear();
        out.extend_from_slice(packet);
        self.seal_in_place(out) || {
            out.clear();
            false
        }
    }

    /// Seals the plaintext packet in `packet` where it lies, turning it into the sealed
    /// datagram (9 bytes longer at the front, the tag at the end). Its number must be the low
    /// 16 bits of [`next_pn`](Self::next_pn); `false` (and `packet` unchanged) when it is not,
    /// or `packet` is shorter than 3 bytes.
    pub fn seal_in_place(&mut self, packet: &mut Vec<u8>) -> bool {
        let pn = self.next;
        let Some(&[kind, hi, lo]) = packet.first_chunk::<3>() else { return false };
        if u16::from_be_bytes([hi, lo]) != pn as u16 {
            return false;
        }
        let mut head = [0u8; SEALED_HEADER_LEN + 1];
        head[0] = SEALED;
        head[1..9].copy_from_slice(&self.cid.to_be_bytes());
        head[9..11].copy_from_slice(&[hi, lo]);
        head[11] = kind;
        // [kind, hi, lo, body…] → [marker, cid, hi, lo, kind, body…]
        packet.splice(0..3, head);
        let (header, body) = packet.split_at_mut(SEALED_HEADER_LEN);
        match self.cipher.encrypt_in_place_detached(&nonce(pn), header, body) {
            Ok(tag) => packet.extend_from_slice(&tag),
            Err(_) => {
                // Unreachable: ChaCha20-Poly1305 fails only past 256 GiB per message. Put the
                // plaintext back as it was.
                packet.splice(0..SEALED_HEADER_LEN + 1, [kind, hi, lo]);
                return false;
            }
        }
        self.next += 1;
        true
    }
}

/// Why a datagram did not open. Nothing changed: only an authenticated packet moves the
/// replay window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// Not shaped like a sealed packet, or for another connection id.
    #[error("not a sealed packet of this connection")]
    NotSealed,
    /// Its number was already received, or is more than the replay window behind.
    #[error("a replayed or too old packet number")]
    Replayed,
    /// The tag does not verify: forged, corrupted, or sealed with another key.
    #[error("the packet does not authenticate")]
    Unauthenticated,
}

/// What an opened packet was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    /// Its full packet number.
    pub pn: u64,
    /// Whether it is the newest packet authenticated so far (what path migration follows).
    pub newest: bool,
}

/// Opens the peer's packets.
pub struct Opener {
    cipher: ChaCha20Poly1305,
    cid: u64,
    /// The newest authenticated number, if any.
    largest: Option<u64>,
    /// Bit `i`: packet `largest - i` was authenticated.
    seen: [u64; (REPLAY_WINDOW / 64) as usize],
}

impl core::fmt::Debug for Opener {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Opener {{ cid: {:016x}, largest: {:?} }}", self.cid, self.largest)
    }
}

impl Opener {
    /// Opens with `key` packets of connection `cid`, expecting numbers from 0.
    pub fn new(key: &[u8; 32], cid: u64) -> Self {
        Self {
            cipher: ChaCha20Poly1305::new(Key::from_slice(key)),
            cid,
            largest: None,
            seen: [0; (REPLAY_WINDOW / 64) as usize],
        }
    }

    /// The full number a 16-bit wire number stands for: the one nearest to the number after
    /// the newest authenticated packet.
    pub fn expand(&self, wire: u16) -> u64 {
        let expected = self.largest.map_or(0, |largest| largest + 1);
        let candidate = (expected & !0xFFFF) | u64::from(wire);
        if candidate + 0x8000 <= expected {
            candidate + 0x1_0000
        } else if candidate > expected + 0x8000 && candidate >= 0x1_0000 {
            candidate - 0x1_0000
        } else {
            candidate
        }
    }

    fn is_replay(&self, pn: u64) -> bool {
        let Some(largest) = self.largest else { return false };
        if pn > largest {
            return false;
        }
        let behind = largest - pn;
        behind >= REPLAY_WINDOW || self.seen[(behind / 64) as usize] & (1 << (behind % 64)) != 0
    }

    fn record(&mut self, pn: u64) -> bool {
        match self.largest {
            Some(largest) if pn <= largest => {
                let behind = largest - pn;
                self.seen[(behind / 64) as usize] |= 1 << (behind % 64);
                false
            }
            _ => {
                let shift = self.largest.map_or(REPLAY_WINDOW, |largest| pn - largest);
                shift_window(&mut self.seen, shift);
                self.seen[0] |= 1;
                self.largest = Some(pn);
                true
            }
        }
    }

    /// Opens `datagram` into `out` (cleared first) as the plaintext packet it carries: kind,
    /// 16-bit number, body. On error `out` is unspecified and nothing else changed.
    pub fn open(&mut self, datagram: &[u8], out: &mut Vec<u8>) -> Result<Opened, OpenError> {
        out.clear();
        out.extend_from_slice(datagram);
        let (opened, plain) = self.open_in_place(out)?;
        out.truncate(plain.end);
        out.drain(..plain.start);
        Ok(opened)
    }

    /// Opens `datagram` where it lies: on success, the range of `datagram` that now holds the
    /// plaintext packet it carried (kind, 16-bit number, body). On error `datagram` may hold
    /// garbage (it was not this connection's, or did not authenticate) and nothing else
    /// changed: only an authenticated packet moves the replay window.
    pub fn open_in_place(
        &mut self,
        datagram: &mut [u8],
    ) -> Result<(Opened, core::ops::Range<usize>), OpenError> {
        if datagram.len() < SEALED_MIN_LEN || sealed_cid(datagram) != Some(self.cid) {
            return Err(OpenError::NotSealed);
        }
        let wire = sealed_pn(datagram).ok_or(OpenError::NotSealed)?;
        let pn = self.expand(wire);
        if self.is_replay(pn) {
            return Err(OpenError::Replayed);
        }
        let len = datagram.len();
        let (header, rest) = datagram.split_at_mut(SEALED_HEADER_LEN);
        let (ciphertext, tag) = rest.split_at_mut(len - SEALED_HEADER_LEN - TAG_LEN);
        let tag = *Tag::from_slice(tag);
        self.cipher
            .decrypt_in_place_detached(&nonce(pn), header, ciphertext, &tag)
            .map_err(|_| OpenError::Unauthenticated)?;
        // [marker, cid…, hi, lo, kind, body…] → the plaintext packet [kind, hi, lo, body…]
        // starts two bytes before the number.
        let start = SEALED_HEADER_LEN - 2;
        datagram[start] = datagram[SEALED_HEADER_LEN];
        datagram[start + 1..start + 3].copy_from_slice(&wire.to_be_bytes());
        let newest = self.record(pn);
        Ok((Opened { pn, newest }, start..len - TAG_LEN))
    }
}

/// Moves the window `shift` numbers forward: bit `i` becomes bit `i + shift`.
fn shift_window(seen: &mut [u64], shift: u64) {
    let len = seen.len();
    if shift >= (len * 64) as u64 {
        seen.fill(0);
        return;
    }
    let (words, bits) = ((shift / 64) as usize, (shift % 64) as u32);
    for i in (0..len).rev() {
        let from = i.checked_sub(words);
        let high = from.map_or(0, |f| seen[f]);
        let low = from.and_then(|f| f.checked_sub(1)).map_or(0, |f| seen[f]);
        seen[i] = if bits == 0 { high } else { (high << bits) | (low >> (64 - bits)) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (Sealer, Opener) {
        (Sealer::new(&[7; 32], 0xC1D), Opener::new(&[7; 32], 0xC1D))
    }

    fn packet(pn: u64, body: &[u8]) -> Vec<u8> {
        let mut p = vec![0x01];
        p.extend_from_slice(&(pn as u16).to_be_bytes());
        p.extend_from_slice(body);
        p
    }

    #[test]
    fn a_sealed_packet_opens_to_what_was_sealed() {
        let (mut sealer, mut opener) = pair();
        let (mut wire, mut plain) = (Vec::new(), Vec::new());
        assert!(sealer.seal(&packet(0, b"hello"), &mut wire));
        assert_eq!(wire.len(), packet(0, b"hello").len() + crate::wire::sealed::SEAL_OVERHEAD);
        assert_eq!(opener.open(&wire, &mut plain), Ok(Opened { pn: 0, newest: true }));
        assert_eq!(plain, packet(0, b"hello"));
    }

    #[test]
    fn replays_tampering_and_other_keys_are_refused() {
        let (mut sealer, mut opener) = pair();
        let (mut wire, mut plain) = (Vec::new(), Vec::new());
        sealer.seal(&packet(0, b"x"), &mut wire);
        assert!(opener.open(&wire, &mut plain).is_ok());
        assert_eq!(opener.open(&wire, &mut plain), Err(OpenError::Replayed));
        sealer.seal(&packet(1, b"y"), &mut wire);
        let mut tampered = wire.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(opener.open(&tampered, &mut plain), Err(OpenError::Unauthenticated));
        let mut header = wire.clone();
        header[9] ^= 0x80; // another packet number: another nonce, and other associated data
        assert_eq!(opener.open(&header, &mut plain), Err(OpenError::Unauthenticated));
        let mut stranger = Opener::new(&[8; 32], 0xC1D);
        assert_eq!(stranger.open(&wire, &mut plain), Err(OpenError::Unauthenticated));
        assert!(opener.open(&wire, &mut plain).is_ok(), "the failures changed nothing");
    }

    #[test]
    fn a_far_ahead_forgery_does_not_move_the_window() {
        let (mut sealer, mut opener) = pair();
        let (mut wire, mut plain) = (Vec::new(), Vec::new());
        sealer.seal(&packet(0, b"a"), &mut wire);
        opener.open(&wire, &mut plain).unwrap();
        let mut forged = wire.clone();
        forged[9..11].copy_from_slice(&0x7000u16.to_be_bytes());
        assert_eq!(opener.open(&forged, &mut plain), Err(OpenError::Unauthenticated));
        sealer.seal(&packet(1, b"b"), &mut wire);
        assert_eq!(opener.open(&wire, &mut plain), Ok(Opened { pn: 1, newest: true }));
    }

    #[test]
    fn numbers_are_rebuilt_across_the_16_bit_wrap_and_reordering() {
        let (mut sealer, mut opener) = pair();
        // Start just before the first wrap of the 16-bit wire number.
        sealer.next = 64_000;
        opener.record(63_999);
        let (mut wire, mut plain) = (Vec::new(), Vec::new());
        let mut held: Vec<(usize, u64, Vec<u8>)> = Vec::new();
        for step in 0..6_000 {
            if step % 1_000 == 999 {
                sealer.next += 20_000; // an outage: 20,000 packets lost in a row
            }
            let pn = sealer.next;
            assert!(sealer.seal(&packet(pn, b"z"), &mut wire));
            if step % 100 == 99 {
                held.push((step + 50, pn, wire.clone())); // delivered 50 packets late
            } else {
                assert_eq!(opener.open(&wire, &mut plain).map(|o| o.pn), Ok(pn), "step {step}");
            }
            if let Some((_, late, bytes)) = held.first().filter(|(due, _, _)| *due == step) {
                let opened = opener.open(bytes, &mut plain);
                assert_eq!(opened, Ok(Opened { pn: *late, newest: false }));
                held.remove(0);
            }
        }
        assert!(sealer.next > 100_000, "the numbers wrapped the 16-bit space several times");
    }

    #[test]
    fn the_window_accepts_1024_behind_once_and_nothing_older() {
        let mut opener = Opener::new(&[1; 32], 1);
        assert!(opener.record(2000));
        assert!(!opener.is_replay(2000 - 1023));
        assert!(opener.is_replay(2000 - 1024));
        assert!(!opener.record(976 + 1));
        assert!(opener.is_replay(977));
        assert!(opener.record(2001));
        assert!(opener.is_replay(2000) && opener.is_replay(977) && !opener.is_replay(1500));
    }
}
