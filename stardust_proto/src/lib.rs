//! The pure half of Stardust: everything that is decided by bytes and time alone.
//!
//! This crate names no socket, thread, clock or Bevy type. The caller passes the time and
//! the bytes that arrived, and polls for the bytes to send, the events and the next timeout.
//!
//! | module | what it holds |
//! |---|---|
//! | `channel/` | the channel model shared by every layer: [`ChannelId`], [`ChannelConfig`], [`ChannelTable`] |
//! | `wire/` | the wire format of `docs/PROTOCOL.md`: zero messages ([`zero`]), plaintext packets ([`packet`]), sealed packets ([`sealed`]), handshake payloads ([`payload`]), [`ReasonCode`] |
//! | [`crypto`] | keys, the Noise parameters, packet sealing, cookies, reset tokens, tickets |
//! | `session/` | the reliability engine of one established connection ([`Session`]): `send.rs` and `receive.rs`, acks, resends, ordering, fragments, RTT |
//! | `connection/` | the connection around a session ([`Connection`]): the handshake, the listener's [`Endpoint`], close and timeouts, events |
//! | [`hash`] | FNV-1a 64, for channel ids and the protocol hash |
//!
//! Dependencies point one way: `connection` → `session`, `crypto` → `wire` → `channel` → `hash`.

#![warn(missing_docs)]

mod channel;
mod connection;
pub mod crypto;
pub mod hash;
mod session;
mod wire;

pub use channel::{
    ChannelConfig, ChannelId, ChannelTable, ChannelTableError, InvalidConfig, Ordering,
    Reliability, WireChannelIdError, channel_id_hash,
};
pub use connection::{
    AcceptedPeer, ClientSecurity, CloseReason, ConnectParams, ConnectRequest, Connection,
    ConnectionConfig, ConnectionEvent, ConnectionSendError, CookiePolicy, Endpoint, EndpointConfig,
    EndpointSecurity, EndpointStats, Handled, HandshakeConfig, Received, RecordKey, SecureClient,
    ZeroDropReason, ZeroStats,
};
pub use session::{
    DropCounts, DropReason, LOSS_WINDOW, PacketFates, SendError, Session, SessionConfig,
    SessionStats,
};
pub use wire::{ReasonCode, packet, payload, sealed, zero};
