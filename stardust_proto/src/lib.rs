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

mod connection;
mod connection_config;
mod connection_event;
mod endpoint;
mod handshake;
mod reason;
pub mod zero;
mod zero_stats;

pub use channel_config::{ChannelConfig, Ordering, Reliability};
pub use channel_id::{ChannelId, WireChannelIdError, channel_id_hash};
pub use channel_table::{ChannelTable, ChannelTableError};
pub use send_error::SendError;
pub use session::Session;
pub use session_config::SessionConfig;
pub use stats::{DropCounts, DropReason, SessionStats};

pub use connection::Connection;
pub use connection_config::ConnectionConfig;
pub use connection_event::{CloseReason, ConnectionEvent, ConnectionSendError};
pub use endpoint::{
    AcceptedPeer, ConnectRequest, Endpoint, EndpointConfig, EndpointStats, Handled,
};
pub use handshake::HandshakeConfig;
pub use reason::ReasonCode;
pub use zero_stats::{ZeroDropReason, ZeroStats};
