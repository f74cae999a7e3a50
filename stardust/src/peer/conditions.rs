//! Run conditions for the common questions about peers.

use bevy::ecs::message::MessageReader;
use bevy::ecs::query::With;
use bevy::ecs::system::Query;

use super::{Peer, PeerConnected, PeerDisconnected, PeerState};

/// Run condition: at least one peer is [`PeerState::Connected`] right now.
pub fn any_peer_connected(peers: Query<'_, '_, &PeerState, With<Peer>>) -> bool {
    peers.iter().any(PeerState::is_connected)
}

/// Run condition: a [`PeerConnected`] was written since this condition last ran.
pub fn peer_connected(mut messages: MessageReader<'_, '_, PeerConnected>) -> bool {
    messages.read().count() > 0
}

/// Run condition: a [`PeerDisconnected`] was written since this condition last ran.
pub fn peer_disconnected(mut messages: MessageReader<'_, '_, PeerDisconnected>) -> bool {
    messages.read().count() > 0
}
