//! The receiving side of a typed channel: [`ChannelReader`].

use core::marker::PhantomData;
use core::sync::atomic::{AtomicU64, Ordering};

use super::incoming::{Inbound, IncomingMessages};
use crate::channel::{Channel, ChannelMessage};
use bevy::ecs::entity::Entity;
use bevy::ecs::system::{Local, Res, SystemParam};
use bevy::ecs::world::{FromWorld, World};

/// A reader's position: the sequence number of the first message it has not seen, and
/// where its channel's messages are in [`IncomingMessages`].
#[derive(Debug)]
pub struct ReaderCursor<C: Channel> {
    next: AtomicU64,
    slot: usize,
    _channel: PhantomData<fn() -> C>,
}

impl<C: Channel> FromWorld for ReaderCursor<C> {
    /// # Panics
    /// If `C` was never registered: the message names the type and the fix.
    fn from_world(world: &mut World) -> Self {
        super::assert_registered::<C>(world, "ChannelReader");
        let slot = world.get_resource_or_init::<IncomingMessages>().slot_of(C::ID);
        let slot = slot.unwrap_or_else(|| super::not_installed::<C>("ChannelReader"));
        ReaderCursor { next: AtomicU64::new(0), slot, _channel: PhantomData }
    }
}

/// Reads the messages received on channel `C`, each exactly once per reader system.
///
/// ```
/// # use bevy::prelude::*;
/// # use stardust::prelude::*;
/// # #[derive(Channel)]
/// # #[channel(reliable, ordered)]
/// # struct Chat;
/// fn read_chat(chat: ChannelReader<Chat>) {
///     for (peer, bytes) in chat.read() {
///         info!("{peer}: {}", String::from_utf8_lossy(bytes));
///     }
/// }
/// ```
///
/// On a typed channel (`#[channel(message = T)]`) it yields `(peer, T)`, decoded from the
/// payload. Only payloads that are exactly one encoding of `T` get this far: the others are
/// dropped at dispatch and counted in the sender's
/// [`PeerStats::dropped_undecodable`](crate::peer::PeerStats::dropped_undecodable).
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
/// fn read_chat(chat: ChannelReader<Chat>) {
///     for (peer, line) in chat.read() {
///         info!("{peer}: {}", line.text);
///     }
/// }
/// ```
///
/// # Message lifetime
/// A system with a `ChannelReader<C>` that runs once every frame sees every message of `C`
/// exactly once, whether it runs before or after
/// [`StardustSet::Dispatch`](crate::plugin::StardustSet::Dispatch) in the frame: after
/// dispatch it sees that frame's messages, before it sees the previous frame's. A system
/// that skips two or more frames (e.g. behind a run condition) misses messages older than
/// the last two dispatches. A reader's first run sees everything still readable. Readers
/// only read: any number of them, on any channels, run in parallel.
///
/// # Panics
/// When the system is initialized, if `C` was never registered with
/// [`add_channel`](crate::plugin::ChannelAppExt::add_channel).
#[derive(SystemParam)]
pub struct ChannelReader<'w, 's, C: Channel> {
    incoming: Res<'w, IncomingMessages>,
    cursor: Local<'s, ReaderCursor<C>>,
}

impl<C: Channel> ChannelReader<'_, '_, C> {
    fn inbound(&self) -> &Inbound {
        self.incoming.inbound(self.cursor.slot)
    }

    /// The messages this reader has not seen yet, oldest first, as `(peer, payload)` on a
    /// byte channel or `(peer, message)` on a typed one; marks them all as seen (a second
    /// call in the same run yields nothing new). A typed message is decoded as the iterator
    /// reaches it.
    pub fn read(
        &self,
    ) -> impl Iterator<Item = (Entity, <C::Message as ChannelMessage>::Read<'_>)> + '_ {
        let inbound = self.inbound();
        let cursor = self.cursor.next.swap(inbound.next_sequence(), Ordering::Relaxed);
        inbound.since(cursor).filter_map(|(peer, payload)| Some((peer, C::Message::read(payload)?)))
    }

    /// How many messages [`read`](Self::read) would yield.
    pub fn len(&self) -> usize {
        self.inbound().count_since(self.cursor.next.load(Ordering::Relaxed))
    }

    /// Whether [`read`](Self::read) would yield nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Marks every readable message as seen without reading it.
    pub fn clear(&self) {
        self.cursor.next.store(self.inbound().next_sequence(), Ordering::Relaxed);
    }
}
