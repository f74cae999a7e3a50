//! Why a message could not be queued.

use bevy::ecs::entity::Entity;

/// Why [`ChannelWriter`](super::ChannelWriter) refused a message. Nothing is queued when
/// an error is returned.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// The payload (for a typed channel, the message's encoding) is larger than the
    /// channel's `max_size`.
    #[error(
        "message of {size} bytes exceeds the max_size of {max_size} bytes of channel `{channel}`; \
         split the message or raise the limit with #[channel(max_size = …)]"
    )]
    TooLarge {
        /// The channel's type name.
        channel: &'static str,
        /// The payload's size in bytes.
        size: usize,
        /// The channel's limit in bytes.
        max_size: u32,
    },
    /// A typed message could not be encoded: its `Serialize` impl failed, or used what
    /// postcard cannot encode.
    #[error(
        "message for channel `{channel}` could not be encoded ({reason}); postcard encodes \
         every serde type except sequences and maps whose length is unknown up front: check \
         the message type's `Serialize` impl"
    )]
    Encode {
        /// The channel's type name.
        channel: &'static str,
        /// What the encoder reported.
        reason: String,
    },
    /// The entity does not exist or has no [`Peer`](crate::peer::Peer) component.
    #[error("entity {0} is not a peer; send only to entities that have a `Peer` component")]
    NotAPeer(Entity),
    /// The peer exists but is not [`Connected`](crate::peer::PeerState::Connected).
    #[error(
        "peer {0} is not connected (still connecting, closing or disconnected); send after \
         `PeerConnected` and before `PeerDisconnected`"
    )]
    NotConnected(Entity),
}
