//! A channel table with one channel of each reliability and ordering combination.
//!
//! Include it from a test file with `#[path = "support/channel_kinds.rs"] mod channel_kinds;`.

use stardust_proto::{ChannelConfig, ChannelId, ChannelTable, Ordering, Reliability};

/// Channels 0 to 4, in this order: reliable ordered, reliable unordered, reliable sequenced,
/// unreliable unordered, unreliable sequenced; each accepts messages up to `max_size` bytes.
pub fn every_kind(max_size: u32) -> ChannelTable {
    let kinds = [
        (Reliability::Reliable, Ordering::Ordered),
        (Reliability::Reliable, Ordering::Unordered),
        (Reliability::Reliable, Ordering::Sequenced),
        (Reliability::Unreliable, Ordering::Unordered),
        (Reliability::Unreliable, Ordering::Sequenced),
    ];
    ChannelTable::new(kinds.iter().enumerate().map(|(i, &(r, o))| {
        (ChannelId::new(i as u32).unwrap(), ChannelConfig::new(r, o).with_max_size(max_size))
    }))
    .unwrap()
}
