//! The channel model every layer shares: a channel's 24-bit id, its delivery contract, and
//! the table of the channels two peers agreed on.

mod config;
mod id;
mod table;

pub use config::{ChannelConfig, InvalidConfig, Ordering, Reliability};
pub use id::{ChannelId, WireChannelIdError, channel_id_hash};
pub use table::{ChannelTable, ChannelTableError};
