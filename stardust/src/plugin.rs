//! [`StardustPlugin`] and the [`StardustSet`]s every transport plugs into, and
//! [`ChannelAppExt`], which registers channels and protocol values on an App.
//!
//! # Transport contract
//!
//! A transport (the in-memory [`link`](crate::link), UDP, …) moves bytes between peer
//! entities and the network. It never touches typed channels. It must:
//!
//! 1. **Spawn one entity per connection** with the [`Peer`](crate::peer::Peer) component
//!    (which brings [`PeerState::Connecting`](crate::peer::PeerState), `PeerStats`,
//!    `PeerInbox` and `PeerOutbox`), plus its own components. Games may add theirs; a
//!    transport never removes components it did not insert.
//! 2. **Drive the lifecycle** by writing [`PeerState`](crate::peer::PeerState):
//!    `Connected` when the connection is established (after checking the remote
//!    [`ProtocolHash`] matches, or
//!    [`DisconnectReason::ProtocolMismatch`](crate::peer::DisconnectReason::ProtocolMismatch)),
//!    `Disconnected(reason)` when it ends, mapping its own close codes onto
//!    [`DisconnectReason`](crate::peer::DisconnectReason). When the game sets `Closing`,
//!    send what is in the outbox, tell the remote peer, then set `Disconnected` with the
//!    same reason. The runtime writes the lifecycle messages and despawns the entity; the
//!    transport must ignore peers already `Disconnected`.
//! 3. In [`StardustSet::Receive`] (`PreUpdate`): push received messages into each peer's
//!    `PeerInbox` in the order the channel's contract delivers them, and update `PeerStats`
//!    (`rtt`, the packet loss figures, `bytes_received`). Unknown channels and oversize
//!    messages may be pushed as they are: dispatch drops and counts them.
//! 4. In [`StardustSet::Send`] (`PostUpdate`): drain each peer's `PeerOutbox` (keeping
//!    per-channel order for ordered channels), update `bytes_sent`, and leave the outbox
//!    empty.
//!
//! Per-peer data lives in components so that a transport can process disjoint groups of
//! peers in parallel (`Query::par_iter_mut`, or per-entity `get_mut` from one task per
//! socket). Network faults never panic and never reach game systems as errors: drop and
//! count, or disconnect the peer with a reason.

use bevy::app::{App, Plugin, PostUpdate, PreUpdate};
use bevy::ecs::schedule::{IntoScheduleConfigs, SystemSet};

use crate::channel::{Channel, ChannelRegistry, ProtocolHash, ProtocolValues};
use crate::messages::{
    IncomingMessages, OutgoingMessages, Routing, flush_outgoing, install_channel,
};
use crate::peer::{Lifecycle, PeerConnected, PeerDisconnected};
use crate::stats::RuntimeStats;

/// Where Stardust's per-frame work runs. `Receive → Dispatch` are chained in `PreUpdate`,
/// `Flush → Send` in `PostUpdate`, so game systems in `Update` see this frame's messages
/// and their sends leave this frame.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StardustSet {
    /// `PreUpdate`. Transports read the network: fill each peer's `PeerInbox`, update
    /// `PeerStats`, spawn new peers and set `PeerState`.
    Receive,
    /// `PreUpdate`, after `Receive`. The runtime writes `PeerConnected` / `PeerDisconnected`
    /// for state changes, despawns peers reported disconnected a frame earlier, rotates the
    /// channels' double buffers in [`IncomingMessages`] and routes every inbox into them
    /// (dropping and counting unknown channels and oversize messages). Game systems that
    /// must see this frame's messages before `Update` go `.after(StardustSet::Dispatch)`.
    Dispatch,
    /// `PostUpdate`. The runtime moves every channel's sent messages into their peers'
    /// `PeerOutbox`. Game systems sending in `PostUpdate` go `.before(StardustSet::Flush)`.
    Flush,
    /// `PostUpdate`, after `Flush`. Transports drain each `PeerOutbox` onto the network and
    /// carry out `Closing` requests.
    Send,
}

/// The transport-agnostic runtime: system sets, peer lifecycle messages, dispatch and flush.
///
/// Add it once, with any transport plugin (e.g. [`LinkPlugin`](crate::link::LinkPlugin)).
/// Channels may be registered with [`add_channel`](ChannelAppExt::add_channel) before or
/// after it is added: `add_channel` gives each channel its queues itself, and one dispatch
/// and one flush system serve every channel.
#[derive(Debug, Default, Clone)]
pub struct StardustPlugin;

impl Plugin for StardustPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<ChannelRegistry>()
            .init_resource::<ProtocolHash>()
            .init_resource::<RuntimeStats>()
            .init_resource::<IncomingMessages>()
            .init_resource::<OutgoingMessages>()
            .add_message::<PeerConnected>()
            .add_message::<PeerDisconnected>()
            .configure_sets(PreUpdate, (StardustSet::Receive, StardustSet::Dispatch).chain())
            .configure_sets(PostUpdate, (StardustSet::Flush, StardustSet::Send).chain())
            .add_systems(PreUpdate, dispatch.in_set(StardustSet::Dispatch))
            .add_systems(PostUpdate, flush_outgoing.in_set(StardustSet::Flush));
    }
}

/// `StardustSet::Dispatch`, one system for every channel: lifecycle first (its commands
/// apply at the end of `PreUpdate`; nothing after it in the set reads what they do), then
/// routing.
fn dispatch(mut lifecycle: Lifecycle<'_, '_>, mut routing: Routing<'_, '_>) {
    lifecycle.report();
    routing.route();
}

/// Registers channels and protocol values on a Bevy [`App`].
pub trait ChannelAppExt {
    /// Registers channel `C` in the [`ChannelRegistry`] and folds it into the
    /// [`ProtocolHash`]. Idempotent; order of registration never matters.
    ///
    /// The first registration also gives the channel its message queues in
    /// [`IncomingMessages`] and [`OutgoingMessages`] (no system: one dispatch and one flush
    /// system serve every channel), so it may come before or after [`StardustPlugin`] is
    /// added.
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
            // The message queues of `C` (runtime core).
            install_channel::<C>(self);
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
