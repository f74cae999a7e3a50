//! Everything a game needs: `use stardust::prelude::*;`.

pub use crate::channel::{
    Channel, ChannelAppExt, ChannelConfig, ChannelId, ChannelRegistry, Ordering, ProtocolHash,
    Reliability,
};
