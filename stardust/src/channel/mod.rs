//! Channels: what they are ([`Channel`], [`ChannelId`], [`ChannelConfig`]), which ones an
//! app speaks ([`ChannelRegistry`]) and the fingerprint peers compare ([`ProtocolHash`]).

mod codec;
mod message;
mod protocol_hash;
mod registry;
mod runtime;

#[doc(hidden)]
pub use codec::{EncodeFailure, Encoder};
#[doc(hidden)]
pub use message::Outgoing;
pub use message::{ChannelMessage, IntoMessage, Raw};
pub(crate) use protocol_hash::ProtocolValues;
pub use protocol_hash::{ProtocolHash, ProtocolHasher};
pub use registry::{ChannelEntry, ChannelRegistry};
pub use runtime::{RUNTIME_CHANNEL_LABEL, RuntimeChannelError};
pub use stardust_derive::Channel;
pub use stardust_proto::{
    ChannelConfig, ChannelId, InvalidConfig, Ordering, Reliability, WireChannelIdError,
    channel_id_hash,
};

/// A typed channel: a stable id and a delivery contract, attached to a marker type.
///
/// Implemented by `#[derive(Channel)]`, never by hand: the derive checks the
/// configuration at compile time and derives the id the same way on every machine.
/// The type itself carries no data; its messages are bytes ([`Raw`]), or values of the
/// type named by `#[channel(message = T)]`.
pub trait Channel: Send + Sync + 'static {
    /// The channel's id on the wire; unique among the channels an app registers.
    const ID: ChannelId;
    /// The channel's delivery contract; always [valid](ChannelConfig::is_valid).
    const CONFIG: ChannelConfig;
    /// What the channel's messages are: [`Raw`] bytes, or the `message = T` type.
    type Message: ChannelMessage;
    /// The message type as written in `message = …`, whitespace removed (e.g.
    /// `"game::ChatLine"`); `None` for byte channels. Part of the
    /// [`ProtocolHash`], so peers that disagree on it are refused at the handshake.
    const MESSAGE_TYPE: Option<&'static str>;
}
