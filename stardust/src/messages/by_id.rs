//! Sending and reading bytes by channel id, for channels added at runtime (and any other
//! registered channel): [`ChannelWriterById`] and [`ChannelReaderById`].

use bevy::app::App;
use bevy::ecs::entity::Entity;
use bevy::ecs::query::With;
use bevy::ecs::system::{Deferred, Local, Query, Res, SystemBuffer, SystemMeta, SystemParam};
use bevy::ecs::world::DeferredWorld;
use bytes::Bytes;

use super::SendError;
use super::incoming::IncomingMessages;
use super::writer::OutgoingMessages;
use crate::channel::{ChannelId, ChannelRegistry};
use crate::peer::{Peer, PeerState};
use crate::stats::RuntimeStats;

/// Gives the channel `id` its slots in [`IncomingMessages`] and [`OutgoingMessages`] (once),
/// for messages of at most `max_size` bytes: what
/// [`install_channel`](super::install_channel) does for a derived channel.
pub(crate) fn install_channel_by_id(app: &mut App, id: ChannelId, max_size: u32) {
    app.init_resource::<RuntimeStats>();
    let world = app.world_mut();
    world.get_resource_or_init::<IncomingMessages>().add(id, max_size, None);
    world.get_resource_or_init::<OutgoingMessages>().add(id);
}

/// The channel id named by a [`ChannelReaderById`] is not registered.
#[derive(thiserror::Error, Debug, Clone, Copy, PartialEq, Eq)]
#[error(
    "channel {0} is not registered; add it when building the app with \
     `app.add_channel_by_id(id, config)` (or `add_channel_by_name`)"
)]
pub struct UnknownChannelError(pub ChannelId);

/// One system's private queue of messages sent by id, moved into [`OutgoingMessages`] when
/// Bevy applies the system's deferred buffers (as [`WriterBuffer`](super::WriterBuffer)
/// does for typed writers).
#[derive(Debug, Default)]
pub struct WriterByIdBuffer {
    messages: Vec<(ChannelId, Entity, Bytes)>,
}

impl SystemBuffer for WriterByIdBuffer {
    fn queue(&mut self, _meta: &SystemMeta, mut world: DeferredWorld<'_>) {
        if self.messages.is_empty() {
            return;
        }
        let Some(mut outgoing) = world.get_resource_mut::<OutgoingMessages>() else {
            bevy::log::warn!(
                "{} messages sent by id dropped: the app has no OutgoingMessages; add \
                 StardustPlugin",
                self.messages.len()
            );
            self.messages.clear();
            return;
        };
        // Senders usually send runs on one channel: remember the last lookup.
        let mut last: Option<(ChannelId, usize)> = None;
        for (id, peer, payload) in self.messages.drain(..) {
            let slot = match last {
                Some((last_id, slot)) if last_id == id => Some(slot),
                _ => outgoing.slot_of(id),
            };
            let Some(slot) = slot else {
                // `send` checked the registry; only a registry edited by hand gets here.
                bevy::log::warn!(
                    "message on channel {id} dropped: the channel has no message queues; add \
                     it with `app.add_channel_by_id` rather than editing the ChannelRegistry"
                );
                continue;
            };
            last = Some((id, slot));
            outgoing.slots[slot].messages.push((peer, payload));
        }
    }
}

/// Sends bytes to peers on any registered channel, named by its [`ChannelId`]: the writer of
/// channels added at runtime with
/// [`add_channel_by_id`](crate::plugin::RuntimeChannelAppExt::add_channel_by_id).
///
/// ```
/// # use bevy::prelude::*;
/// # use stardust::prelude::*;
/// const STATE: ChannelId = ChannelId::from_name("game.state");
/// fn send_state(mut writer: ChannelWriterById, peers: Query<Entity, With<Peer>>) {
///     for peer in &peers {
///         writer.send(STATE, peer, b"hello".as_slice()).unwrap();
///     }
/// }
/// ```
///
/// Guarantees, as [`ChannelWriter`](super::ChannelWriter)'s: a message accepted by `send`
/// reaches the peer's [`PeerOutbox`](super::PeerOutbox) in the next
/// [`StardustSet::Flush`](crate::plugin::StardustSet::Flush), in send order relative to the
/// other messages of this system on the same channel; a refused message is not queued;
/// systems using writers (by id or typed) never conflict with each other, since each holds
/// a private buffer and only reads the registry and peer states.
///
/// On a channel with a message type (`#[channel(message = …)]`) the bytes must be that
/// type's encoding: the receiver drops and counts anything that does not decode.
#[derive(SystemParam)]
pub struct ChannelWriterById<'w, 's> {
    registry: Res<'w, ChannelRegistry>,
    peers: Query<'w, 's, (Entity, &'static PeerState), With<Peer>>,
    buffer: Deferred<'s, WriterByIdBuffer>,
}

impl ChannelWriterById<'_, '_> {
    /// Queues `payload` for `peer` on channel `id`.
    ///
    /// # Errors
    /// [`SendError::UnknownChannel`] if no channel has `id`, [`SendError::TooLarge`] above the
    /// channel's `max_size`, [`SendError::NotAPeer`] if `peer` is not a peer entity,
    /// [`SendError::NotConnected`] if it is not connected.
    pub fn send(
        &mut self,
        id: ChannelId,
        peer: Entity,
        payload: impl Into<Bytes>,
    ) -> Result<(), SendError> {
        let payload = self.checked_size(id, payload.into())?;
        match self.peers.get(peer) {
            Ok((_, state)) if state.is_connected() => {}
            Ok(_) => return Err(SendError::NotConnected(peer)),
            Err(_) => return Err(SendError::NotAPeer(peer)),
        }
        self.buffer.messages.push((id, peer, payload));
        Ok(())
    }

    /// Queues `payload` on channel `id` for every connected peer, sharing one payload (each
    /// peer gets a reference-counted handle). Returns how many peers it was queued for.
    ///
    /// # Errors
    /// [`SendError::UnknownChannel`] if no channel has `id`, [`SendError::TooLarge`] above the
    /// channel's `max_size`.
    pub fn broadcast(
        &mut self,
        id: ChannelId,
        payload: impl Into<Bytes>,
    ) -> Result<usize, SendError> {
        let payload = self.checked_size(id, payload.into())?;
        let start = self.buffer.messages.len();
        for (peer, state) in &self.peers {
            if state.is_connected() {
                self.buffer.messages.push((id, peer, payload.clone()));
            }
        }
        Ok(self.buffer.messages.len() - start)
    }

    /// The largest message channel `id` accepts, if it is registered.
    pub fn max_size(&self, id: ChannelId) -> Option<u32> {
        self.registry.get(id).map(|entry| entry.config.max_size)
    }

    fn checked_size(&self, id: ChannelId, payload: Bytes) -> Result<Bytes, SendError> {
        let entry = self.registry.get(id).ok_or(SendError::UnknownChannel(id))?;
        let max_size = entry.config.max_size;
        if payload.len() > max_size as usize {
            return Err(SendError::TooLarge {
                channel: entry.type_name,
                size: payload.len(),
                max_size,
            });
        }
        Ok(payload)
    }
}

/// A [`ChannelReaderById`]'s positions: per channel it has read, where the channel's
/// messages are in [`IncomingMessages`] and the sequence number of the first message it has
/// not seen.
#[derive(Debug, Default)]
pub struct ReaderByIdCursors {
    cursors: Vec<(ChannelId, usize, u64)>,
}

/// Reads the messages received on any registered channel, named by its [`ChannelId`]: the
/// reader of channels added at runtime.
///
/// ```
/// # use bevy::prelude::*;
/// # use stardust::prelude::*;
/// const STATE: ChannelId = ChannelId::from_name("game.state");
/// fn read_state(mut reader: ChannelReaderById) {
///     for (peer, bytes) in reader.read(STATE).unwrap() {
///         info!("{peer}: {} bytes", bytes.len());
///     }
/// }
/// ```
///
/// Each message is yielded once per reader system, with exactly the lifetime of
/// [`ChannelReader`'s messages](super::ChannelReader#message-lifetime): a system that runs
/// every frame sees every message of the channels it reads, whether it runs before or after
/// [`StardustSet::Dispatch`](crate::plugin::StardustSet::Dispatch). The first `read` of a
/// channel sees everything of it still readable. Readers only read: any number of them run
/// in parallel.
#[derive(SystemParam)]
pub struct ChannelReaderById<'w, 's> {
    incoming: Res<'w, IncomingMessages>,
    cursors: Local<'s, ReaderByIdCursors>,
}

impl ChannelReaderById<'_, '_> {
    /// The messages of channel `id` this reader has not seen yet, oldest first, as
    /// `(peer, payload)`; marks them all as seen.
    ///
    /// # Errors
    /// [`UnknownChannelError`] if no channel has `id`.
    pub fn read(
        &mut self,
        id: ChannelId,
    ) -> Result<impl Iterator<Item = (Entity, &Bytes)> + '_, UnknownChannelError> {
        let cursor = self.cursor(id)?;
        let (_, slot, next) = &mut self.cursors.cursors[cursor];
        let inbound = self.incoming.inbound(*slot);
        let from = core::mem::replace(next, inbound.next_sequence());
        Ok(inbound.since(from))
    }

    /// How many messages [`read`](Self::read) would yield for channel `id`.
    ///
    /// # Errors
    /// [`UnknownChannelError`] if no channel has `id`.
    pub fn len(&mut self, id: ChannelId) -> Result<usize, UnknownChannelError> {
        let cursor = self.cursor(id)?;
        let (_, slot, next) = self.cursors.cursors[cursor];
        Ok(self.incoming.inbound(slot).count_since(next))
    }

    /// Whether [`read`](Self::read) would yield nothing for channel `id`.
    ///
    /// # Errors
    /// [`UnknownChannelError`] if no channel has `id`.
    pub fn is_empty(&mut self, id: ChannelId) -> Result<bool, UnknownChannelError> {
        Ok(self.len(id)? == 0)
    }

    /// The index of channel `id`'s cursor, made on the first use of `id`.
    fn cursor(&mut self, id: ChannelId) -> Result<usize, UnknownChannelError> {
        let cursors = &mut self.cursors.cursors;
        if let Some(index) = cursors.iter().position(|(cursor_id, ..)| *cursor_id == id) {
            return Ok(index);
        }
        let slot = self.incoming.slot_of(id).ok_or(UnknownChannelError(id))?;
        cursors.push((id, slot, 0));
        Ok(cursors.len() - 1)
    }
}
