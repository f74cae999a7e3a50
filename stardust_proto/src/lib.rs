//! The pure half of Stardust: everything that is decided by bytes and time alone.
//!
//! This crate names no socket, thread, clock or Bevy type. It holds the channel
//! model shared by every layer ([`ChannelId`], [`ChannelConfig`]) and the protocol
//! engine that the transports drive.

#![warn(missing_docs)]

mod channel_config;
mod channel_id;
pub mod hash;

mod ack;
mod channel_table;
mod fragment;
mod ordering;
pub mod packet;
mod rtt;
mod send_error;
mod send_queue;
mod sent_packets;
mod sequence;
mod session;
mod session_config;
mod stats;

pub use channel_config::{ChannelConfig, Ordering, Reliability};
pub use channel_id::{ChannelId, WireChannelIdError, channel_id_hash};
pub use channel_table::{ChannelTable, ChannelTableError};
pub use send_error::SendError;
pub use session::Session;
pub use session_config::SessionConfig;
pub use stats::{DropCounts, DropReason, SessionStats};
