//! Per-peer connection statistics.

use core::time::Duration;
use std::collections::BTreeMap;

use bevy::ecs::component::Component;
use stardust_proto::PacketFates;

use crate::channel::ChannelId;

/// Counters and estimates for one peer, kept on the peer entity.
///
/// Who fills what: the transport fills `rtt`, the packet loss figures, `bytes_sent` and
/// `bytes_received` (the UDP transport all of them; a transport without packets, like the
/// in-memory link, leaves the loss figures at zero); the runtime fills the message counters
/// and the drop counters. Counters only grow, for the life of the peer entity, but for
/// `packets_since_connect.lost`, which an ack arriving after its packet was presumed lost
/// lowers (see [`PacketFates`]).
#[derive(Component, Debug, Default, Clone, PartialEq)]
pub struct PeerStats {
    /// Smoothed round-trip time, once the transport has measured one.
    pub rtt: Option<Duration>,
    /// Fraction presumed lost of the data packets sent to this peer in the last
    /// [`LOSS_WINDOW`](stardust_proto::LOSS_WINDOW) (5 s) whose fate is known, in
    /// `0.0..=1.0`: `packets_in_window.loss()`, `0.0` while no fate is known. A packet is
    /// presumed lost when it is not acknowledged within the resend timeout.
    pub packet_loss: f32,
    /// The data packets sent to this peer in the last
    /// [`LOSS_WINDOW`](stardust_proto::LOSS_WINDOW): how many, how many acknowledged, how
    /// many presumed lost (the rest are in flight).
    pub packets_in_window: PacketFates,
    /// The data packets sent to this peer since the connection was established, and their
    /// fates.
    pub packets_since_connect: PacketFates,
    /// Bytes the transport handed to the network for this peer, headers included.
    pub bytes_sent: u64,
    /// Bytes the transport received from this peer, headers included.
    pub bytes_received: u64,
    /// Messages moved from channel writers into this peer's outbox.
    pub messages_sent: u64,
    /// Messages from this peer delivered to a channel's readers.
    pub messages_received: u64,
    /// Incoming messages dropped because their channel id is not registered here.
    pub dropped_unknown_channel: u64,
    /// Incoming messages dropped because they exceed their channel's `max_size`.
    pub dropped_oversize: u64,
    /// Incoming messages on typed channels dropped because they are not exactly one
    /// encoding of the channel's message type, by channel (only channels that dropped one
    /// appear). Each drop is also logged at debug level.
    pub dropped_undecodable: BTreeMap<ChannelId, u64>,
}

impl PeerStats {
    /// How many messages from this peer on typed channels did not decode, over every channel.
    pub fn dropped_undecodable_total(&self) -> u64 {
        self.dropped_undecodable.values().sum()
    }

    pub(crate) fn count_undecodable(&mut self, channel: ChannelId) {
        *self.dropped_undecodable.entry(channel).or_default() += 1;
    }
}
