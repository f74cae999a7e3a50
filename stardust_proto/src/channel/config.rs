//! How a channel delivers its messages.

/// Whether a channel's messages are resent until acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reliability {
    /// Every message arrives exactly once, resent as often as needed.
    Reliable,
    /// A message arrives at most once, or not at all.
    Unreliable,
}

/// In which order a channel's messages are handed to the receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ordering {
    /// As they arrive.
    Unordered,
    /// Only messages newer than the newest one delivered; older arrivals are dropped.
    Sequenced,
    /// In send order; a missing message holds back the ones after it. Reliable channels only.
    Ordered,
}

/// The delivery contract of one channel, identical on every peer.
///
/// Invariants upheld by `#[derive(Channel)]` (and expected of hand-built values):
/// `max_size` is in `1..=ChannelConfig::MAX_SIZE_LIMIT`, and an
/// [`Unreliable`](Reliability::Unreliable) channel is never [`Ordered`](Ordering::Ordered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChannelConfig {
    /// Whether messages are resent until acknowledged.
    pub reliability: Reliability,
    /// The order in which messages are delivered.
    pub ordering: Ordering,
    /// The largest message the channel accepts, in bytes.
    pub max_size: u32,
    /// Share of the bandwidth when channels compete: higher goes first. `0..=255`.
    pub priority: u8,
}

impl ChannelConfig {
    /// The largest `max_size` a channel may declare: 16 MiB.
    pub const MAX_SIZE_LIMIT: u32 = 16 * 1024 * 1024;
    /// Default `max_size` of reliable channels: 1 MiB, enough for level data or a snapshot.
    pub const DEFAULT_RELIABLE_MAX_SIZE: u32 = 1024 * 1024;
    /// Default `max_size` of unreliable channels: 1024 bytes, so a message fits one
    /// datagram of the default 1200-byte MTU with its headers.
    pub const DEFAULT_UNRELIABLE_MAX_SIZE: u32 = 1024;
    /// Default `priority`: 128, the middle of the range.
    pub const DEFAULT_PRIORITY: u8 = 128;

    /// A config with the defaults for `reliability`: the matching default `max_size`
    /// and [`DEFAULT_PRIORITY`](Self::DEFAULT_PRIORITY).
    pub const fn new(reliability: Reliability, ordering: Ordering) -> ChannelConfig {
        let max_size = match reliability {
            Reliability::Reliable => Self::DEFAULT_RELIABLE_MAX_SIZE,
            Reliability::Unreliable => Self::DEFAULT_UNRELIABLE_MAX_SIZE,
        };
        ChannelConfig { reliability, ordering, max_size, priority: Self::DEFAULT_PRIORITY }
    }

    /// The same config with `max_size` bytes as its limit.
    pub const fn with_max_size(self, max_size: u32) -> ChannelConfig {
        ChannelConfig { max_size, ..self }
    }

    /// The same config with `priority`.
    pub const fn with_priority(self, priority: u8) -> ChannelConfig {
        ChannelConfig { priority, ..self }
    }

    /// Whether this config keeps the invariants above; the engine refuses channels that do not.
    pub const fn is_valid(&self) -> bool {
        self.validate().is_ok()
    }

    /// Which invariant this config breaks, if any (the checks `#[derive(Channel)]` makes at
    /// compile time, for configs built at run time).
    ///
    /// # Errors
    /// The first broken invariant, in the order of [`InvalidConfig`]'s variants.
    pub const fn validate(&self) -> Result<(), InvalidConfig> {
        if self.max_size == 0 {
            return Err(InvalidConfig::ZeroMaxSize);
        }
        if self.max_size > Self::MAX_SIZE_LIMIT {
            return Err(InvalidConfig::MaxSizeTooLarge(self.max_size));
        }
        if matches!((self.reliability, self.ordering), (Reliability::Unreliable, Ordering::Ordered))
        {
            return Err(InvalidConfig::UnreliableOrdered);
        }
        Ok(())
    }
}

/// What is wrong with a [`ChannelConfig`].
#[derive(thiserror::Error, Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidConfig {
    /// `max_size` is zero.
    #[error("max_size is 0; give the channel a max_size of at least 1 byte")]
    ZeroMaxSize,
    /// `max_size` is above [`ChannelConfig::MAX_SIZE_LIMIT`].
    #[error(
        "max_size {0} is above the limit of {limit} bytes; lower it or split the messages",
        limit = ChannelConfig::MAX_SIZE_LIMIT
    )]
    MaxSizeTooLarge(u32),
    /// An unreliable channel cannot be ordered: a lost message would hold back every later one.
    #[error("an unreliable channel cannot be ordered; make it reliable, or sequenced or unordered")]
    UnreliableOrdered,
}
