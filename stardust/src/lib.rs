//! Stardust: networking for the Bevy game engine.
//!
//! Declare a channel with one annotated type, register it, and send bytes to peers:
//!
//! ```
//! use bevy::prelude::*;
//! use stardust::prelude::*;
//!
//! #[derive(Channel)]
//! #[channel(reliable, ordered)]
//! pub struct Chat;
//!
//! let mut app = App::new();
//! app.add_channel::<Chat>();
//! assert_eq!(app.world().resource::<ChannelRegistry>().len(), 1);
//! ```
//!
//! Stardust is "just bytes between peers": there are no built-in client or server
//! roles. Transports see channels only by their 3-byte [`ChannelId`](channel::ChannelId).
//!
//! # Where things live
//!
//! | module | what it holds |
//! |---|---|
//! | [`channel`] | the [`Channel`](channel::Channel) trait and derive, the channel registry, the protocol hash |
//! | [`plugin`] | [`StardustPlugin`](plugin::StardustPlugin), the system sets, `add_channel` |
//! | [`messages`] | typed queues: [`ChannelWriter`](messages::ChannelWriter), [`ChannelReader`](messages::ChannelReader), dispatch and flush |
//! | [`peer`] | peers as entities: state, lifecycle messages, stats, inbox and outbox |
//! | [`link`] | the in-memory transport between two Apps |
//! | [`conditioner`] | loss, latency, jitter and duplication a game can switch on, for either transport |
//! | [`udp`] | the UDP transport; its module docs map its folders (port allocation, per-port I/O, the listen port, the Bevy systems) |
//! | [`proto`] | the sans-IO engine (`stardust_proto`): wire format, reliability, handshake |

#![warn(missing_docs)]

pub mod channel;
pub mod conditioner;
pub mod link;
pub mod messages;
pub mod peer;
pub mod plugin;
pub mod prelude;
pub mod stats;
pub mod udp;

/// The sans-IO protocol engine and the wire-level channel types, re-exported from `stardust_proto`.
pub mod proto {
    pub use stardust_proto::*;
}
