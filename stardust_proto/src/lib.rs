//! The pure half of Stardust: everything that is decided by bytes and time alone.
//!
//! This crate names no socket, thread, clock or Bevy type. It holds the channel
//! model shared by every layer ([`ChannelId`], [`ChannelConfig`]) and the protocol
//! engine that the transports drive.

#![warn(missing_docs)]

mod channel_config;
mod channel_id;
pub mod hash;

pub use channel_config::{ChannelConfig, Ordering, Reliability};
pub use channel_id::{ChannelId, WireChannelIdError, channel_id_hash};
