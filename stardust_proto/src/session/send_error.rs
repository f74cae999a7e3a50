//! Why [`Session::send`](crate::Session::send) refused a message.

use crate::channel::ChannelId;

/// Why a message was not queued. Nothing was queued when this is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The session has no such channel.
    #[error("channel {0} is not part of this session; register it on both peers before connecting")]
    UnknownChannel(ChannelId),
    /// The message exceeds the channel's `max_size`, or needs more than 65 535 fragments.
    #[error(
        "a {size}-byte message does not fit channel {channel} (max {max} bytes); raise the channel's max_size or split the message"
    )]
    TooLarge {
        /// The channel.
        channel: ChannelId,
        /// The message's size in bytes.
        size: usize,
        /// The largest size the channel accepts.
        max: usize,
    },
    /// The channel's queue holds as many bytes or messages as the session allows.
    #[error(
        "channel {0} is full because the peer or the network is not keeping up; retry after the queue drains"
    )]
    QueueFull(ChannelId),
}
