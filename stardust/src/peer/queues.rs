//! The untyped, per-peer side that transports touch: an inbox and an outbox of
//! `(ChannelId, Bytes)` on every peer entity.
//!
//! Being components, they are reached through `Query`, so a transport that owns several
//! groups of peers (e.g. one task per UDP port) can fill or drain them in parallel with
//! `par_iter_mut` or per-entity `get_mut`, each task touching only its own peers.

use bevy::ecs::component::Component;
use bytes::Bytes;

use crate::channel::ChannelId;

/// Messages received from this peer, waiting for [`StardustSet::Dispatch`] to route them to
/// their channel's readers.
///
/// Invariant: after dispatch the inbox is empty. Transports push in the order the
/// channel's contract delivers them (for ordered channels, send order); dispatch keeps
/// that order within each channel. Unknown channel ids and oversize messages are dropped
/// and counted in [`PeerStats`](crate::peer::PeerStats) by dispatch, so a transport
/// need not check them.
///
/// [`StardustSet::Dispatch`]: crate::plugin::StardustSet::Dispatch
#[derive(Component, Debug, Default, Clone)]
pub struct PeerInbox {
    pub(crate) messages: Vec<(ChannelId, Bytes)>,
}

impl PeerInbox {
    /// Queues one received message for dispatch.
    pub fn push(&mut self, channel: ChannelId, payload: Bytes) {
        self.messages.push((channel, payload));
    }

    /// Queues received messages for dispatch, in iteration order.
    pub fn extend(&mut self, messages: impl IntoIterator<Item = (ChannelId, Bytes)>) {
        self.messages.extend(messages);
    }

    /// How many messages wait for dispatch.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether no message waits for dispatch.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}

/// Messages for this peer, moved here from the channel writers by
/// [`StardustSet::Flush`], waiting for the transport to send them in
/// [`StardustSet::Send`].
///
/// Invariant: messages of one channel are in the order the game sent them; messages of
/// different channels are interleaved in no particular order (a transport schedules
/// channels by [`priority`](crate::channel::ChannelConfig::priority)). Every message is at
/// most its channel's `max_size`. The transport must leave the outbox empty after its send
/// step (sent, or handed to its own resend buffers), so that capacity is reused.
///
/// [`StardustSet::Flush`]: crate::plugin::StardustSet::Flush
/// [`StardustSet::Send`]: crate::plugin::StardustSet::Send
#[derive(Component, Debug, Default, Clone)]
pub struct PeerOutbox {
    pub(crate) messages: Vec<(ChannelId, Bytes)>,
}

impl PeerOutbox {
    /// Removes and yields every queued message, in queue order; keeps the capacity.
    pub fn drain(&mut self) -> std::vec::Drain<'_, (ChannelId, Bytes)> {
        self.messages.drain(..)
    }

    /// The queued messages, in queue order.
    pub fn as_slice(&self) -> &[(ChannelId, Bytes)] {
        &self.messages
    }

    /// Drops every queued message (e.g. for a peer that is already disconnected).
    pub fn clear(&mut self) {
        self.messages.clear();
    }

    /// How many messages wait to be sent.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether no message waits to be sent.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}
