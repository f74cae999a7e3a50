//! What readers read: every channel's received messages, double-buffered per channel.

use bevy::ecs::entity::Entity;
use bevy::ecs::resource::Resource;
use bytes::Bytes;

use crate::channel::ChannelId;

/// Every registered channel's received messages, where [`ChannelReader`]s read them: per
/// channel, the messages of the last two dispatches (see
/// [`ChannelReader`'s message lifetime](super::ChannelReader#message-lifetime)).
///
/// Filled by [`StardustSet::Dispatch`](crate::plugin::StardustSet::Dispatch), which drains
/// every peer's [`PeerInbox`](crate::peer::PeerInbox) into it in one pass. Readers only read it, so any number of
/// them, on any channels, run in parallel.
///
/// [`ChannelReader`]: super::ChannelReader
#[derive(Resource, Debug, Default)]
pub struct IncomingMessages {
    /// `(id, slot)` sorted by id, for lookups by binary search.
    index: Vec<(ChannelId, usize)>,
    /// One slot per registered channel, in registration order (indices never change).
    slots: Vec<IncomingSlot>,
}

#[derive(Debug)]
struct IncomingSlot {
    max_size: usize,
    /// A typed channel's decode check; `None` for byte channels.
    check: Option<fn(&[u8]) -> bool>,
    messages: Inbound,
}

/// What [`IncomingMessages::deliver`] did with a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Delivery {
    /// Appended: readers will see it.
    Delivered,
    /// Dropped: longer than the channel's `max_size`.
    Oversize,
    /// Dropped: not exactly one encoding of the typed channel's message type.
    Undecodable,
}

impl IncomingMessages {
    /// Gives channel `id` a slot (once), for messages of at most `max_size` bytes that pass
    /// `check` (a typed channel's decode check; `None` accepts any payload).
    pub(super) fn add(&mut self, id: ChannelId, max_size: u32, check: Option<fn(&[u8]) -> bool>) {
        if let Err(position) = self.index.binary_search_by_key(&id, |&(id, _)| id) {
            let max_size = usize::try_from(max_size).unwrap_or(usize::MAX);
            self.index.insert(position, (id, self.slots.len()));
            self.slots.push(IncomingSlot { max_size, check, messages: Inbound::default() });
        }
    }

    /// The slot of channel `id`, if it is registered.
    pub(crate) fn slot_of(&self, id: ChannelId) -> Option<usize> {
        let position = self.index.binary_search_by_key(&id, |&(id, _)| id).ok()?;
        Some(self.index[position].1)
    }

    /// The messages of slot `slot` (from [`slot_of`](Self::slot_of)).
    pub(crate) fn inbound(&self, slot: usize) -> &Inbound {
        &self.slots[slot].messages
    }

    /// Starts a dispatch in every slot (see [`Inbound::rotate`]).
    pub(super) fn rotate(&mut self) {
        for slot in &mut self.slots {
            slot.messages.rotate();
        }
    }

    /// Appends `peer`'s `payload` to slot `slot` (from [`slot_of`](Self::slot_of)), unless
    /// it is longer than the channel's `max_size` or fails its decode check.
    pub(super) fn deliver(&mut self, slot: usize, peer: Entity, payload: Bytes) -> Delivery {
        let Some(slot) = self.slots.get_mut(slot) else { return Delivery::Oversize };
        if payload.len() > slot.max_size {
            return Delivery::Oversize;
        }
        if slot.check.is_some_and(|decodes| !decodes(&payload)) {
            return Delivery::Undecodable;
        }
        slot.messages.push(peer, payload);
        Delivery::Delivered
    }
}

/// The messages received on one channel in the last two dispatches, as `(peer, payload)`:
/// one slot of [`IncomingMessages`].
///
/// Double-buffered like Bevy's `Messages<T>`: each
/// [`StardustSet::Dispatch`](crate::plugin::StardustSet::Dispatch) drops the messages of
/// the dispatch before the previous one, then appends the new ones. A message is therefore
/// readable from the dispatch that delivered it until the second dispatch after it —
/// through one full frame whatever the point of the frame a reader runs at. Each message
/// has a sequence number, counted from 0 since the app started; readers keep a cursor on it.
///
/// Invariant: within one peer and this channel, messages are in the order the transport
/// delivered them. Capacity is kept across frames: steady-state dispatch does not allocate.
#[derive(Debug, Default)]
pub(crate) struct Inbound {
    previous: Vec<(Entity, Bytes)>,
    current: Vec<(Entity, Bytes)>,
    previous_start: u64,
    current_start: u64,
}

impl Inbound {
    /// The sequence number the next delivered message will get.
    pub(crate) fn next_sequence(&self) -> u64 {
        self.current_start + self.current.len() as u64
    }

    /// The readable messages numbered `cursor` or later, oldest first.
    pub(crate) fn since(&self, cursor: u64) -> impl Iterator<Item = (Entity, &Bytes)> + '_ {
        let skip_previous = cursor.saturating_sub(self.previous_start);
        let skip_current = cursor.saturating_sub(self.current_start);
        let previous = self.previous.get(clamp(skip_previous)..).unwrap_or_default();
        let current = self.current.get(clamp(skip_current)..).unwrap_or_default();
        previous.iter().chain(current).map(|(peer, payload)| (*peer, payload))
    }

    /// How many readable messages are numbered `cursor` or later.
    pub(crate) fn count_since(&self, cursor: u64) -> usize {
        clamp(self.next_sequence().saturating_sub(cursor.max(self.previous_start)))
    }

    /// Starts a dispatch: the oldest buffer is dropped, the newest becomes the previous one.
    pub(crate) fn rotate(&mut self) {
        core::mem::swap(&mut self.previous, &mut self.current);
        self.current.clear();
        self.previous_start = self.current_start;
        self.current_start = self.previous_start + self.previous.len() as u64;
    }

    /// Appends a message delivered by this dispatch.
    pub(crate) fn push(&mut self, peer: Entity, payload: Bytes) {
        self.current.push((peer, payload));
    }
}

fn clamp(skip: u64) -> usize {
    usize::try_from(skip).unwrap_or(usize::MAX)
}
