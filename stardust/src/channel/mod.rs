//! Channels: what they are ([`Channel`], [`ChannelId`], [`ChannelConfig`]), which ones an
//! app speaks ([`ChannelRegistry`]) and the fingerprint peers compare ([`ProtocolHash`]).

mod protocol_hash;
mod registry;
mod runtime;

pub(crate) use protocol_hash::ProtocolValues;
pub use protocol_hash::{ProtocolHash, ProtocolHasher};
pub use registry::{ChannelEntry, ChannelRegistry};
pub use runtime::{InvalidConfig, RUNTIME_CHANNEL_LABEL, RuntimeChannelError, validate_config};
pub use stardust_derive::Channel;
pub use stardust_proto::{
    ChannelConfig, ChannelId, Ordering, Reliability, WireChannelIdError, channel_id_hash,
};

/// A typed channel: a stable id and a delivery contract, attached to a marker type.
///
/// Implemented by `#[derive(Channel)]`, never by hand: the derive checks the
/// configuration at compile time and derives the id the same way on every machine.
/// The type itself carries no data; messages are bytes.
pub trait Channel: Send + Sync + 'static {
    /// The channel's id on the wire; unique among the channels an app registers.
    const ID: ChannelId;
    /// The channel's delivery contract; always [valid](ChannelConfig::is_valid).
    const CONFIG: ChannelConfig;
}
