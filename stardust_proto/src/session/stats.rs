//! What a session measured and counted: RTT, loss, traffic and dropped input.

use std::time::Duration;

/// Why an incoming game datagram, or one message in it, was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DropReason {
    /// Longer than [`SessionConfig::max_incoming_datagram`](crate::SessionConfig::max_incoming_datagram).
    Oversized,
    /// Ends inside a header or a payload.
    Truncated,
    /// Starts with `00 00 00` (a zero message handed to the data path).
    ZeroMessage,
    /// Unknown packet type byte.
    UnknownType,
    /// Undefined frame flag bits, or frames in an ack packet.
    Malformed,
    /// A frame names a channel the session does not have.
    UnknownChannel,
    /// A message (or the total of its fragments) is larger than its channel's `max_size`.
    MessageTooLarge,
    /// A fragment index/count that is impossible, or that contradicts earlier fragments.
    BadFragment,
    /// A packet number already received.
    DuplicatePacket,
    /// A packet number too old to be tracked any more.
    StalePacket,
    /// A reliable message already delivered.
    DuplicateMessage,
    /// A sequenced message older than one already delivered.
    StaleMessage,
    /// A reliable message number outside the receive window.
    OutsideWindow,
    /// The receive buffer (reassembly + reordering) was full.
    BufferFull,
    /// An unreliable message whose fragments did not all arrive in time.
    IncompleteFragments,
}

impl DropReason {
    /// Every reason, in declaration order (the index used by [`DropCounts`]).
    pub const ALL: [DropReason; 15] = [
        DropReason::Oversized,
        DropReason::Truncated,
        DropReason::ZeroMessage,
        DropReason::UnknownType,
        DropReason::Malformed,
        DropReason::UnknownChannel,
        DropReason::MessageTooLarge,
        DropReason::BadFragment,
        DropReason::DuplicatePacket,
        DropReason::StalePacket,
        DropReason::DuplicateMessage,
        DropReason::StaleMessage,
        DropReason::OutsideWindow,
        DropReason::BufferFull,
        DropReason::IncompleteFragments,
    ];
}

/// How many datagrams or messages were dropped, per [`DropReason`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DropCounts([u64; DropReason::ALL.len()]);

impl DropCounts {
    /// The count for `reason`.
    pub fn get(&self, reason: DropReason) -> u64 {
        self.0[reason as usize]
    }

    /// The sum over every reason.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    pub(crate) fn add(&mut self, reason: DropReason) {
        self.0[reason as usize] += 1;
    }

    /// `(reason, count)` for every reason with a non-zero count.
    pub fn iter(&self) -> impl Iterator<Item = (DropReason, u64)> + '_ {
        DropReason::ALL.iter().map(|&r| (r, self.get(r))).filter(|&(_, n)| n > 0)
    }
}

/// The span of send time over which [`SessionStats::packet_loss`] and
/// [`SessionStats::recent`] count data packets: the last 5 s, in steps of half a second
/// (the packets sent in the current half-second and the nine before it, so between 4.5 and
/// 5 s of sending).
pub const LOSS_WINDOW: Duration = Duration::from_secs(5);

/// What became of some data packets (every packet but ack-only ones: messages, resends and
/// keep-alives, which the peer acknowledges).
///
/// A packet is *acknowledged* when an ack for it arrives. It is *presumed lost* when no ack
/// arrived within the resend timeout after it was sent (its reliable frames are then resent);
/// if its ack still arrives while the packet is remembered (three resend timeouts after it was
/// sent), it moves from lost to acknowledged. A packet neither acknowledged nor presumed lost
/// is in flight. Always `acked + lost <= sent`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PacketFates {
    /// Data packets sent.
    pub sent: u64,
    /// Of those, acknowledged.
    pub acked: u64,
    /// Of those, presumed lost.
    pub lost: u64,
}

impl PacketFates {
    /// `lost / (acked + lost)`, in `0.0..=1.0`: the fraction lost of the packets whose fate is
    /// known; `None` while no fate is known.
    pub fn loss(&self) -> Option<f64> {
        let known = self.acked + self.lost;
        (known > 0).then(|| self.lost as f64 / known as f64)
    }

    /// Packets whose fate is not known yet.
    pub fn in_flight(&self) -> u64 {
        self.sent.saturating_sub(self.acked + self.lost)
    }
}

/// Measurements and counters of one session. Counters only grow, but for `total.lost`, which
/// a late ack lowers (see [`PacketFates`]); `recent` covers a moving window.
#[derive(Debug, Clone, Default)]
pub struct SessionStats {
    /// Smoothed round-trip time.
    pub rtt: Duration,
    /// Round-trip time variance.
    pub rtt_variance: Duration,
    /// Current resend timeout: derived from the two above, doubled per consecutive timeout
    /// during which nothing arrived from the peer (at most `max_rto`).
    pub rto: Duration,
    /// Fraction of the data packets sent in the last [`LOSS_WINDOW`] whose fate is known that
    /// are presumed lost, `0.0..=1.0`: `recent.loss()`, `0.0` while no fate is known.
    pub packet_loss: f64,
    /// The data packets sent in the last [`LOSS_WINDOW`] and their fates.
    pub recent: PacketFates,
    /// The data packets sent since the session began and their fates.
    pub total: PacketFates,
    /// Datagrams sent.
    pub packets_sent: u64,
    /// Valid datagrams received (after dropping bad and duplicate ones).
    pub packets_received: u64,
    /// Bytes of datagrams sent.
    pub bytes_sent: u64,
    /// Bytes of valid datagrams received.
    pub bytes_received: u64,
    /// Messages accepted by `send`.
    pub messages_sent: u64,
    /// Messages delivered to `poll_message`'s queue.
    pub messages_received: u64,
    /// Reliable frames (messages or fragments) sent again after a loss.
    pub frames_resent: u64,
    /// Data packets never acknowledged (counted once they are forgotten).
    pub packets_lost: u64,
    /// Data packets whose frames were scheduled for resending after the resend timeout
    /// (includes packets whose ack came later).
    pub packets_declared_lost: u64,
    /// Reliable payload bytes currently in flight.
    pub bytes_in_flight: usize,
    /// Dropped input per reason.
    pub drops: DropCounts,
}
