//! Wrapping 16-bit sequence numbers: packet numbers and per-channel message numbers.
//!
//! Both sides compare sequence numbers with serial-number arithmetic (RFC 1982): `a` is
//! newer than `b` when `a - b` (mod 2^16) is in `1..32768`. The engine keeps every window
//! it compares in (packet tracking, the reliable message window) well below half the
//! space, so the comparison is never ambiguous for an honest peer.

/// Whether `a` is newer than `b` in wrapping 16-bit order.
#[inline]
pub(crate) fn seq_newer(a: u16, b: u16) -> bool {
    let d = a.wrapping_sub(b);
    d != 0 && d < 0x8000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_wraps_around() {
        assert!(seq_newer(1, 0));
        assert!(seq_newer(0, 0xFFFF));
        assert!(!seq_newer(0xFFFF, 0));
        assert!(!seq_newer(5, 5));
        assert!(seq_newer(0x7FFF, 0));
        assert!(!seq_newer(0x8000, 0));
    }
}
