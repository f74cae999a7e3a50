//! Which channels an app speaks, by id and by type.

use core::any::{TypeId, type_name};
use std::collections::{BTreeMap, HashMap};

use bevy::app::App;
use bevy::ecs::resource::Resource;

use super::protocol_hash::{ProtocolHash, ProtocolValues};
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
    type_id: TypeId,
}

/// Every channel registered with [`ChannelAppExt::add_channel`], by id and by type.
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
        let entry =
            ChannelEntry { id: C::ID, config: C::CONFIG, type_name: type_name::<C>(), type_id };
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

/// Registers channels and protocol values on a Bevy [`App`].
pub trait ChannelAppExt {
    /// Registers channel `C` in the [`ChannelRegistry`] and folds it into the
    /// [`ProtocolHash`]. Idempotent; order of registration never matters.
    ///
    /// The first registration also installs the channel's typed message queues and its
    /// flush and dispatch systems, so it may come before or after
    /// [`StardustPlugin`](crate::plugin::StardustPlugin) is added.
    ///
    /// # Panics
    /// If another type already registered the same id (the message names both types).
    fn add_channel<C: Channel>(&mut self) -> &mut Self;

    /// Adds a value both peers must agree on (e.g. `("game.version", "1.4.2")`) to the
    /// [`ProtocolHash`]. Adding the same key and value again does nothing.
    ///
    /// # Panics
    /// If `key` was already added with a different value.
    fn add_protocol_value(&mut self, key: &str, value: impl AsRef<[u8]>) -> &mut Self;
}

impl ChannelAppExt for App {
    fn add_channel<C: Channel>(&mut self) -> &mut Self {
        let world = self.world_mut();
        let mut registry = world.get_resource_or_init::<ChannelRegistry>();
        let is_new = !registry.contains::<C>();
        registry.register::<C>();
        refresh_protocol_hash(self);
        if is_new {
            // The typed queues and the flush/dispatch systems of `C` (runtime core).
            crate::messages::install_channel::<C>(self);
        }
        self
    }

    fn add_protocol_value(&mut self, key: &str, value: impl AsRef<[u8]>) -> &mut Self {
        let world = self.world_mut();
        world.get_resource_or_init::<ProtocolValues>().insert(key, value.as_ref());
        refresh_protocol_hash(self);
        self
    }
}

/// Recomputes [`ProtocolHash`] so it always matches the registry and the added values.
fn refresh_protocol_hash(app: &mut App) {
    let world = app.world_mut();
    world.init_resource::<ChannelRegistry>();
    world.init_resource::<ProtocolValues>();
    let hash = ProtocolHash::compute(
        world.resource::<ChannelRegistry>(),
        world.resource::<ProtocolValues>(),
    );
    world.insert_resource(hash);
}
