//! App-wide runtime counters.

use bevy::ecs::resource::Resource;

/// Totals over all peers of what the runtime dropped, since the app started.
///
/// The per-peer share of the incoming drops is in [`PeerStats`](crate::peer::PeerStats).
/// Counters only grow.
#[derive(Resource, Debug, Default, Clone, PartialEq, Eq)]
pub struct RuntimeStats {
    /// Incoming messages whose channel id is not registered in this app.
    pub dropped_unknown_channel: u64,
    /// Incoming messages larger than their channel's `max_size`.
    pub dropped_oversize: u64,
    /// Incoming messages on typed channels that do not decode as the channel's message type.
    pub dropped_undecodable: u64,
    /// Outgoing messages whose peer entity was despawned between `send` and the flush.
    pub dropped_peer_gone: u64,
}
