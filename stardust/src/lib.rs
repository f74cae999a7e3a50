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

#![warn(missing_docs)]

pub mod channel;
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
