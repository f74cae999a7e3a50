//! Messages: the typed per-channel queues games use ([`ChannelWriter`], [`ChannelReader`])
//! and the untyped per-peer queues transports use ([`PeerInbox`], [`PeerOutbox`]).
//!
//! The path of a message, one frame:
//! 1. `Update` (or any schedule): a game system calls [`ChannelWriter::send`]; a typed
//!    channel's message is encoded there (postcard); the payload sits in the system's private
//!    buffer, then in [`OutgoingMessages`] once Bevy applies it.
//! 2. `PostUpdate`, [`StardustSet::Flush`]: moved to the peer's [`PeerOutbox`] as
//!    `(ChannelId, Bytes)`, keeping each channel's send order.
//! 3. [`StardustSet::Send`]: the transport drains the outbox onto the network.
//! 4. Next `PreUpdate`, [`StardustSet::Receive`]: the remote transport fills the peer's
//!    [`PeerInbox`].
//! 5. [`StardustSet::Dispatch`]: routed by channel id into [`IncomingMessages`], where
//!    [`ChannelReader`]s see it (see [`ChannelReader`] for how long). A typed channel's
//!    payload must decode as its message type to get there; readers decode it again as they
//!    read, so they own what they get.
//!
//! Steps 2 and 5 are one system each, whatever the number of channels: registering a
//! channel adds no system to the frame.
//!
//! No step copies a payload or allocates per message: payloads are [`bytes::Bytes`]
//! handles and every queue keeps its capacity across frames. Typed messages are encoded
//! into chunks shared by many messages, so they add no allocation per message either,
//! beyond what decoding a value with heap fields (a `String`) needs.
//!
//! [`StardustSet::Flush`]: crate::plugin::StardustSet::Flush
//! [`StardustSet::Send`]: crate::plugin::StardustSet::Send
//! [`StardustSet::Receive`]: crate::plugin::StardustSet::Receive
//! [`StardustSet::Dispatch`]: crate::plugin::StardustSet::Dispatch

mod incoming;
mod reader;
mod routing;
mod send_error;
mod writer;

use core::any::type_name;

use bevy::ecs::world::World;

use crate::channel::{Channel, ChannelRegistry};

pub use crate::peer::{PeerInbox, PeerOutbox};
pub use incoming::IncomingMessages;
pub use reader::{ChannelReader, ReaderCursor};
pub(crate) use routing::{Routing, flush_outgoing, install_channel};
pub use send_error::SendError;
pub use writer::{ChannelWriter, OutgoingMessages, WriterBuffer};

/// Panics for a channel registered in the [`ChannelRegistry`] without its message queues
/// (only possible if the registry resource was replaced by hand).
fn not_installed<C: Channel>(param: &str) -> ! {
    panic!(
        "{param}<{channel}> used, but channel `{channel}` has no message queues; register it \
         with `app.add_channel::<{channel}>()` rather than editing the ChannelRegistry",
        channel = type_name::<C>(),
    )
}

/// Panics with the fix if channel `C` is not registered in `world`.
fn assert_registered<C: Channel>(world: &World, param: &str) {
    let registered = world.get_resource::<ChannelRegistry>().is_some_and(|r| r.contains::<C>());
    assert!(
        registered,
        "{param}<{channel}> used, but channel `{channel}` is not registered; call \
         `app.add_channel::<{channel}>()` when building the app",
        channel = type_name::<C>(),
    );
}
