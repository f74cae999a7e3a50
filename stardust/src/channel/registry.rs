//! Which channels an app speaks, by id and by type.

use core::any::{TypeId, type_name};
use std::collections::{BTreeMap, HashMap};

use bevy::ecs::resource::Resource;

use super::{Channel, ChannelConfig, ChannelId};

/// One registered channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelEntry {
    /// The channel's id on the wire.
    pub id: ChannelId,
    /// The channel's delivery contract.
    pub config: ChannelConfig,
    /// The Rust type that declared the channel, for diagnostics.
    pub type_name: &'static str,
    /// The channel's message type as written in `message = …` ([`Channel::MESSAGE_TYPE`]);
    /// `None` for byte channels.
    pub message: Option<&'static str>,
    type_id: TypeId,
}

/// Every channel registered with
/// [`ChannelAppExt::add_channel`](crate::plugin::ChannelAppExt::add_channel), by id and by type.
///
/// Invariant: ids are unique, one type per id and one id per type. Iteration is in
/// ascending id order, so nothing built from the registry depends on registration order.
#[derive(Resource, Debug, Default, Clone)]
pub struct ChannelRegistry {
    by_id: BTreeMap<ChannelId, ChannelEntry>,
    by_type: HashMap<TypeId, ChannelId>,
}

impl ChannelRegistry {
    /// Records channel `C`. Registering the same type again does nothing.
    ///
    /// # Panics
    /// If a different type already uses `C::ID`: two channels cannot share an id.
    pub fn register<C: Channel>(&mut self) {
        let type_id = TypeId::of::<C>();
        if self.by_type.contains_key(&type_id) {
            return;
        }
        if let Some(existing) = self.by_id.get(&C::ID) {
            panic!(
                "channel id collision: `{new}` and `{old}` both have id {id}; give one of them \
                 a distinct id with #[channel(id = 0x…)] or #[channel(name = \"…\")]",
                new = type_name::<C>(),
                old = existing.type_name,
                id = C::ID,
            );
        }
        let entry = ChannelEntry {
            id: C::ID,
            config: C::CONFIG,
            type_name: type_name::<C>(),
            message: C::MESSAGE_TYPE,
            type_id,
        };
        self.by_id.insert(C::ID, entry);
        self.by_type.insert(type_id, C::ID);
    }

    /// The channel with wire id `id`, if registered.
    pub fn get(&self, id: ChannelId) -> Option<&ChannelEntry> {
        self.by_id.get(&id)
    }

    /// The id of channel `C`, if registered.
    pub fn id_of<C: Channel>(&self) -> Option<ChannelId> {
        self.by_type.get(&TypeId::of::<C>()).copied()
    }

    /// Whether channel `C` is registered.
    pub fn contains<C: Channel>(&self) -> bool {
        self.by_type.contains_key(&TypeId::of::<C>())
    }

    /// Every registered channel, in ascending id order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &ChannelEntry> + '_ {
        self.by_id.values()
    }

    /// How many channels are registered.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether no channel is registered.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}
