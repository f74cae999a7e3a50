//! Per-peer message counters kept by the arena's own systems, on both sides of a connection.

use bevy::prelude::*;

use crate::channels::Kind;

/// Messages this App sent to and received from one peer, per channel (indexed by [`Kind`]).
///
/// "Sent" counts messages a `ChannelWriter` accepted; "received" counts messages read from a
/// `ChannelReader`. For reliable channels, what one side sent the other must receive.
#[derive(Component, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Traffic {
    /// Messages sent, per channel.
    pub sent: [u64; 3],
    /// Messages received, per channel.
    pub received: [u64; 3],
}

impl Traffic {
    /// Counts one message sent on `kind`.
    pub fn sent(&mut self, kind: Kind) {
        self.sent[kind as usize] += 1;
    }

    /// Counts one message received on `kind`.
    pub fn received(&mut self, kind: Kind) {
        self.received[kind as usize] += 1;
    }

    /// `sent/received` on `kind`, for tables.
    pub fn pair(&self, kind: Kind) -> String {
        format!("{}/{}", self.sent[kind as usize], self.received[kind as usize])
    }
}
