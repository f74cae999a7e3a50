//! The largest message Stardust sends in one datagram: the `max_size` replicon must keep its
//! unreliable messages within.

use stardust::proto::packet::{FRAME_HEADER_LEN, MAX_DATA_HEADER_LEN};
use stardust::proto::sealed::SEAL_OVERHEAD;

/// The MTU the engine clamps every configured MTU to (`SessionConfig`'s documented range).
const MTU_RANGE: core::ops::RangeInclusive<usize> = 256..=65507;

/// The MTU assumed for peers of transports that have none (the link transport): the UDP
/// transport's default, so a game behaves the same over both.
pub const DEFAULT_MTU: usize = 1200;

/// The largest message that Stardust sends unfragmented over a connection whose datagrams are
/// at most `mtu` bytes, `sealed` (encrypted) or not: the datagram less the longest data-packet
/// header (with its ack blocks), the message frame's header and, when sealed, the sealing
/// header and tag. With the default MTU of 1200: 1158 bytes in the clear, 1133 sealed.
///
/// A message of this size or less is always one frame of one datagram, so an unreliable
/// message is delivered whole or not at all, never waiting for fragments.
pub fn unfragmented_max_size(mtu: usize, sealed: bool) -> usize {
    let mtu = mtu.clamp(*MTU_RANGE.start(), *MTU_RANGE.end());
    let datagram = if sealed { mtu - SEAL_OVERHEAD } else { mtu };
    datagram - MAX_DATA_HEADER_LEN - FRAME_HEADER_LEN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_mtu_leaves_room_for_headers() {
        assert_eq!(unfragmented_max_size(DEFAULT_MTU, false), 1158);
        assert_eq!(unfragmented_max_size(DEFAULT_MTU, true), 1133);
        assert_eq!(unfragmented_max_size(0, true), 256 - SEAL_OVERHEAD - 42);
    }
}
