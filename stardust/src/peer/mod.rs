//! Peers are entities: every connection, whatever the transport, is an entity with a
//! [`Peer`] component, a lifecycle [`PeerState`] and [`PeerStats`].
//!
//! Games attach their own components to peer entities freely; Stardust never removes
//! them. A peer entity lives from the moment its transport spawns it until one frame
//! after it was reported [`PeerDisconnected`]: it is despawned in the next frame's
//! [`StardustSet::Dispatch`](crate::plugin::StardustSet::Dispatch), so systems reading the
//! message can still read the entity's components in the frame it is reported.

mod conditions;
mod disconnect;
mod lifecycle;
mod queues;
mod reason;
mod stats;

use bevy::ecs::component::Component;

pub use conditions::{any_peer_connected, peer_connected, peer_disconnected};
pub use disconnect::PeerCommandsExt;
pub(crate) use lifecycle::{Lifecycle, LifecycleReport};
pub use lifecycle::{PeerConnected, PeerDisconnected};
pub use queues::{PeerInbox, PeerOutbox};
pub use reason::{DisconnectInitiator, DisconnectReason};
pub use stardust_proto::{LOSS_WINDOW, PacketFates};
pub use stats::PeerStats;

/// Marks an entity as a connection to a remote peer.
///
/// Spawned by a transport. Inserting it also inserts (if absent) [`PeerState`]
/// (`Connecting`), [`PeerStats`], and the transport-facing queues [`PeerInbox`] and
/// [`PeerOutbox`]. The entity is the peer's identity for the whole connection: messages
/// are sent to and received from this [`Entity`](bevy::ecs::entity::Entity).
///
/// End a connection with [`PeerCommandsExt::disconnect_peer`], not by despawning the entity:
/// a despawned peer gets no [`PeerDisconnected`], its unsent messages are lost, and the
/// remote side sees the transport close rather than a reason.
#[derive(Component, Debug, Default, Clone, Copy, PartialEq, Eq)]
#[require(PeerState, PeerStats, PeerInbox, PeerOutbox, LifecycleReport)]
pub struct Peer;

/// Where a peer is in its lifecycle. Set by the transport (and by games through
/// [`PeerCommandsExt::disconnect_peer`], which moves it to `Closing`).
///
/// Transitions only go forward: `Connecting → Connected → Closing → Disconnected`,
/// with `Connecting → Closing/Disconnected` for a connection that never completes.
#[derive(Component, Debug, Default, Clone, PartialEq, Eq)]
pub enum PeerState {
    /// The transport is establishing the connection; messages cannot be sent yet.
    #[default]
    Connecting,
    /// Messages flow both ways. The only state in which
    /// [`ChannelWriter::send`](crate::messages::ChannelWriter::send) accepts the peer.
    Connected,
    /// The local side asked to close for this reason; the transport sends what is already
    /// in the outbox, tells the remote peer, then moves the peer to `Disconnected`.
    Closing(DisconnectReason),
    /// The connection is over, for this reason. Reported once as [`PeerDisconnected`],
    /// then the entity is despawned one frame later.
    Disconnected(DisconnectReason),
}

impl PeerState {
    /// Whether messages can be sent to this peer.
    pub fn is_connected(&self) -> bool {
        matches!(self, PeerState::Connected)
    }

    /// Whether the connection is over or closing, i.e. will never carry new messages.
    pub fn is_closed(&self) -> bool {
        matches!(self, PeerState::Closing(_) | PeerState::Disconnected(_))
    }

    /// Asks the transport to close the connection, telling the remote peer `message`.
    ///
    /// Moves `Connecting`/`Connected` to `Closing` with
    /// [`DisconnectReason::Requested`] by the local side; does nothing if the peer is
    /// already closing or disconnected (the first reason wins).
    pub fn close(&mut self, message: impl Into<String>) {
        if !self.is_closed() {
            *self = PeerState::Closing(DisconnectReason::Requested {
                by: DisconnectInitiator::Local,
                message: message.into(),
            });
        }
    }

    /// Records that the connection is over for `reason`, unless it already is
    /// (the first reason wins). For transports.
    pub fn set_disconnected(&mut self, reason: DisconnectReason) {
        if !matches!(self, PeerState::Disconnected(_)) {
            *self = PeerState::Disconnected(reason);
        }
    }
}
