//! The sending side of a typed channel: [`ChannelWriter`] and the queue it fills.

use core::any::type_name;
use core::marker::PhantomData;

use bevy::ecs::entity::Entity;
use bevy::ecs::query::With;
use bevy::ecs::resource::Resource;
use bevy::ecs::system::{Deferred, Query, SystemBuffer, SystemMeta, SystemParam};
use bevy::ecs::world::{DeferredWorld, FromWorld, World};
use bytes::Bytes;

use super::SendError;
use crate::channel::{Channel, ChannelId, ChannelMessage, Encoder, IntoMessage, Outgoing};
use crate::peer::{Peer, PeerState};

/// Every message sent this frame and not yet flushed: per registered channel, its
/// `(peer, payload)`s in send order.
///
/// Filled when the [`ChannelWriter`]s' buffers are applied (at the end of the schedule
/// they ran in, or at an earlier sync point), emptied by
/// [`StardustSet::Flush`](crate::plugin::StardustSet::Flush), which moves every channel's
/// messages into their peers' [`PeerOutbox`](super::PeerOutbox) in one pass. Capacity is kept
/// across frames, so steady-state sending does not allocate.
#[derive(Resource, Debug, Default)]
pub struct OutgoingMessages {
    /// One slot per registered channel, in registration order.
    pub(crate) slots: Vec<OutgoingSlot>,
}

/// The messages waiting for the flush on one channel.
#[derive(Debug)]
pub(crate) struct OutgoingSlot {
    pub(crate) id: ChannelId,
    pub(crate) messages: Vec<(Entity, Bytes)>,
}

impl OutgoingMessages {
    /// Adds a slot for channel `id` unless it has one.
    pub(crate) fn add(&mut self, id: ChannelId) {
        if self.slot_of(id).is_none() {
            self.slots.push(OutgoingSlot { id, messages: Vec::new() });
        }
    }

    /// The slot of channel `id`, if it is registered.
    pub(crate) fn slot_of(&self, id: ChannelId) -> Option<usize> {
        self.slots.iter().position(|slot| slot.id == id)
    }

    /// How many messages wait for the flush, over every channel.
    pub fn len(&self) -> usize {
        self.slots.iter().map(|slot| slot.messages.len()).sum()
    }

    /// Whether no message waits for the flush.
    pub fn is_empty(&self) -> bool {
        self.slots.iter().all(|slot| slot.messages.is_empty())
    }
}

/// One system's private queue for channel `C`, moved into [`OutgoingMessages`] when Bevy
/// applies the system's deferred buffers.
///
/// Because every writer system owns its buffer, any number of systems can write the same
/// channel in parallel; the order between two such systems is the order Bevy applies
/// their buffers, the order within one system is its send order.
#[derive(Debug)]
pub struct WriterBuffer<C: Channel> {
    messages: Vec<(Entity, Bytes)>,
    /// Where a typed channel's messages are encoded.
    encoder: Encoder,
    slot: usize,
    _channel: PhantomData<fn() -> C>,
}

impl<C: Channel> FromWorld for WriterBuffer<C> {
    /// # Panics
    /// If `C` was never registered: the message names the type and the fix.
    fn from_world(world: &mut World) -> Self {
        super::assert_registered::<C>(world, "ChannelWriter");
        let slot = world.get_resource_or_init::<OutgoingMessages>().slot_of(C::ID);
        let slot = slot.unwrap_or_else(|| super::not_installed::<C>("ChannelWriter"));
        WriterBuffer {
            messages: Vec::new(),
            encoder: Encoder::default(),
            slot,
            _channel: PhantomData,
        }
    }
}

impl<C: Channel> SystemBuffer for WriterBuffer<C> {
    fn queue(&mut self, _meta: &SystemMeta, mut world: DeferredWorld<'_>) {
        if self.messages.is_empty() {
            return;
        }
        let Some(mut outgoing) = world.get_resource_mut::<OutgoingMessages>() else { return };
        if let Some(slot) = outgoing.slots.get_mut(self.slot) {
            // `append` moves the elements and keeps our capacity for the next frame.
            slot.messages.append(&mut self.messages);
        }
    }
}

/// Sends messages on channel `C` to peers.
///
/// On a byte channel a message is anything `Into<Bytes>`:
///
/// ```
/// # use bevy::prelude::*;
/// # use stardust::prelude::*;
/// # #[derive(Channel)]
/// # #[channel(reliable, ordered)]
/// # struct Chat;
/// fn send_chat(mut chat: ChannelWriter<Chat>, peers: Query<Entity, With<Peer>>) {
///     for peer in &peers {
///         chat.send(peer, b"hello".as_slice()).unwrap();
///     }
/// }
/// ```
///
/// On a typed channel (`#[channel(message = T)]`) it is a `&T`, encoded with postcard when
/// sent; the encoding is cut from a chunk the writer keeps, so small messages do not
/// allocate one by one:
///
/// ```
/// # use bevy::prelude::*;
/// # use stardust::prelude::*;
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct ChatLine {
///     text: String,
/// }
///
/// #[derive(Channel)]
/// #[channel(reliable, ordered, message = ChatLine)]
/// struct Chat;
///
/// fn send_chat(mut chat: ChannelWriter<Chat>) {
///     chat.broadcast(&ChatLine { text: "hello".into() }).unwrap();
/// }
/// ```
///
/// Guarantees: a message accepted by `send` reaches the peer's
/// [`PeerOutbox`](super::PeerOutbox) in the next [`StardustSet::Flush`], in send order
/// relative to other messages of this system on `C` (unless the peer entity is despawned
/// first). A refused message is not queued. Systems using `ChannelWriter`s never conflict
/// with each other, whatever their channels: each holds a private buffer (a Bevy
/// [`SystemBuffer`]) and only reads peer states.
///
/// Sending from `PostUpdate` requires ordering the system `.before(StardustSet::Flush)`;
/// otherwise the message leaves in the next frame. A writer reads every peer's
/// [`PeerState`], so the same system cannot also take `Query<&mut PeerState>`; disconnect
/// peers with [`PeerCommandsExt::disconnect_peer`](crate::peer::PeerCommandsExt) instead.
///
/// [`StardustSet::Flush`]: crate::plugin::StardustSet::Flush
///
/// # Panics
/// When the system is initialized, if `C` was never registered with
/// [`add_channel`](crate::plugin::ChannelAppExt::add_channel).
#[derive(SystemParam)]
pub struct ChannelWriter<'w, 's, C: Channel> {
    peers: Query<'w, 's, (Entity, &'static PeerState), With<Peer>>,
    buffer: Deferred<'s, WriterBuffer<C>>,
}

impl<C: Channel> ChannelWriter<'_, '_, C> {
    /// Queues `message` for `peer`.
    ///
    /// # Errors
    /// [`SendError::TooLarge`] when the payload (a typed message's encoding) exceeds the
    /// channel's `max_size`, [`SendError::Encode`] when a typed message cannot be encoded,
    /// [`SendError::NotAPeer`] if `peer` is not a peer entity, [`SendError::NotConnected`]
    /// if it is not connected.
    pub fn send<'m>(
        &mut self,
        peer: Entity,
        message: impl IntoMessage<'m, C::Message>,
    ) -> Result<(), SendError> {
        let payload = self.payload(message)?;
        self.check_peer(peer)?;
        self.buffer.messages.push((peer, payload));
        Ok(())
    }

    /// Queues `message` for every peer in `peers`, all or nothing: if one peer is refused,
    /// nothing is queued. The payload is encoded once and shared, never copied (each peer
    /// gets a reference-counted handle). Returns how many peers it was queued for.
    ///
    /// # Errors
    /// As [`send`](Self::send), for the first refused peer.
    pub fn send_to<'m>(
        &mut self,
        peers: impl IntoIterator<Item = Entity>,
        message: impl IntoMessage<'m, C::Message>,
    ) -> Result<usize, SendError> {
        let payload = self.payload(message)?;
        let start = self.buffer.messages.len();
        for peer in peers {
            if let Err(error) = self.check_peer(peer) {
                self.buffer.messages.truncate(start);
                return Err(error);
            }
            self.buffer.messages.push((peer, payload.clone()));
        }
        Ok(self.buffer.messages.len() - start)
    }

    /// Queues `message` for every connected peer, sharing it as
    /// [`send_to`](Self::send_to) does. Returns how many peers it was queued for.
    ///
    /// # Errors
    /// [`SendError::TooLarge`] above the channel's `max_size`, [`SendError::Encode`] when a
    /// typed message cannot be encoded.
    pub fn broadcast<'m>(
        &mut self,
        message: impl IntoMessage<'m, C::Message>,
    ) -> Result<usize, SendError> {
        let payload = self.payload(message)?;
        Ok(self.broadcast_filtered(payload, |_| true))
    }

    /// Queues `message` for every connected peer except `except` (e.g. the sender of a chat
    /// line being relayed). Returns how many peers it was queued for.
    ///
    /// # Errors
    /// As [`broadcast`](Self::broadcast).
    pub fn broadcast_except<'m>(
        &mut self,
        except: Entity,
        message: impl IntoMessage<'m, C::Message>,
    ) -> Result<usize, SendError> {
        let payload = self.payload(message)?;
        Ok(self.broadcast_filtered(payload, |peer| peer != except))
    }

    fn broadcast_filtered(&mut self, payload: Bytes, keep: impl Fn(Entity) -> bool) -> usize {
        let start = self.buffer.messages.len();
        for (peer, state) in &self.peers {
            if state.is_connected() && keep(peer) {
                self.buffer.messages.push((peer, payload.clone()));
            }
        }
        self.buffer.messages.len() - start
    }

    /// The payload of `message`: a byte channel's bytes after the size check, or a typed
    /// channel's encoding.
    fn payload<'m>(
        &mut self,
        message: impl IntoMessage<'m, C::Message>,
    ) -> Result<Bytes, SendError> {
        match message.into_message() {
            Outgoing::Bytes(payload) => checked_size::<C>(payload),
            Outgoing::Value(value) => {
                value.encode(type_name::<C>(), C::CONFIG.max_size, &mut self.buffer.encoder)
            }
        }
    }

    fn check_peer(&self, peer: Entity) -> Result<(), SendError> {
        match self.peers.get(peer) {
            Ok((_, state)) if state.is_connected() => Ok(()),
            Ok(_) => Err(SendError::NotConnected(peer)),
            Err(_) => Err(SendError::NotAPeer(peer)),
        }
    }
}

fn checked_size<C: Channel>(payload: Bytes) -> Result<Bytes, SendError> {
    let max_size = C::CONFIG.max_size;
    if payload.len() > max_size as usize {
        return Err(SendError::TooLarge {
            channel: type_name::<C>(),
            size: payload.len(),
            max_size,
        });
    }
    Ok(payload)
}
