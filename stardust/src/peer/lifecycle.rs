//! Lifecycle reporting: turns [`PeerState`] transitions made by transports into
//! [`PeerConnected`] / [`PeerDisconnected`] messages and observer events, and despawns
//! peers one frame after their disconnection was reported.

use bevy::ecs::component::Component;
use bevy::ecs::entity::Entity;
use bevy::ecs::event::EntityEvent;
use bevy::ecs::message::{Message, MessageWriter};
use bevy::ecs::system::{Commands, Query, SystemParam};

use super::{DisconnectReason, PeerState};

/// A peer reached [`PeerState::Connected`]. Written once per peer, in
/// [`StardustSet::Dispatch`](crate::plugin::StardustSet::Dispatch) of the frame the
/// transport connected it (or the next one, if the transport runs after dispatch).
///
/// Read it with a `MessageReader<PeerConnected>`, or observe it on the peer entity with
/// `app.add_observer(|on: On<PeerConnected>| …)`.
#[derive(Message, EntityEvent, Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerConnected {
    /// The peer entity.
    #[event_target]
    pub peer: Entity,
}

/// A peer's connection is over. Written exactly once per peer entity that reaches
/// [`PeerState::Disconnected`], including peers that never connected (a refused or
/// timed-out attempt), in the same set as [`PeerConnected`].
///
/// The entity still exists, with all its components, until the next frame's dispatch,
/// so systems and observers reacting to this message can read it.
#[derive(Message, EntityEvent, Debug, Clone, PartialEq, Eq)]
pub struct PeerDisconnected {
    /// The peer entity; despawned one frame after this message.
    #[event_target]
    pub peer: Entity,
    /// Why the connection ended.
    pub reason: DisconnectReason,
}

/// What has already been reported about a peer, so each message is written once.
#[derive(Component, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LifecycleReport {
    #[default]
    Nothing,
    Connected,
    Disconnected,
}

/// What [`StardustSet::Dispatch`](crate::plugin::StardustSet::Dispatch) needs to report
/// the lifecycle.
#[derive(SystemParam)]
pub(crate) struct Lifecycle<'w, 's> {
    commands: Commands<'w, 's>,
    peers: Query<'w, 's, (Entity, &'static PeerState, &'static mut LifecycleReport)>,
    connected: MessageWriter<'w, PeerConnected>,
    disconnected: MessageWriter<'w, PeerDisconnected>,
}

impl Lifecycle<'_, '_> {
    /// Writes lifecycle messages for new transitions and despawns peers whose
    /// disconnection was reported in an earlier frame.
    pub(crate) fn report(&mut self) {
        for (peer, state, mut report) in &mut self.peers {
            match (*report, state) {
                (LifecycleReport::Disconnected, _) => {
                    // `try_`: the game may have despawned it already this frame.
                    self.commands.entity(peer).try_despawn();
                }
                (_, PeerState::Disconnected(reason)) => {
                    *report = LifecycleReport::Disconnected;
                    let message = PeerDisconnected { peer, reason: reason.clone() };
                    bevy::log::debug!("peer {peer} disconnected: {reason}");
                    self.disconnected.write(message.clone());
                    self.commands.trigger(message);
                }
                (LifecycleReport::Nothing, PeerState::Connected) => {
                    *report = LifecycleReport::Connected;
                    bevy::log::debug!("peer {peer} connected");
                    self.connected.write(PeerConnected { peer });
                    self.commands.trigger(PeerConnected { peer });
                }
                _ => {}
            }
        }
    }
}
