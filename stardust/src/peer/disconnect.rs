//! Games disconnecting a peer.

use bevy::ecs::system::EntityCommands;
use bevy::ecs::world::EntityWorldMut;

use super::PeerState;

/// Disconnects peers through [`Commands`](bevy::ecs::system::Commands).
pub trait PeerCommandsExt {
    /// Asks the transport to close this peer's connection, telling the remote side
    /// `message`; see [`PeerState::close`]. Messages already sent are still flushed.
    /// Does nothing if the entity is not a peer or is already closing.
    fn disconnect_peer(&mut self, message: impl Into<String>) -> &mut Self;
}

impl PeerCommandsExt for EntityCommands<'_> {
    fn disconnect_peer(&mut self, message: impl Into<String>) -> &mut Self {
        let message = message.into();
        self.queue(move |mut entity: EntityWorldMut<'_>| {
            if let Some(mut state) = entity.get_mut::<PeerState>() {
                state.close(message);
            }
        })
    }
}
