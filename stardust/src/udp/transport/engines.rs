//! What the transport needs to build the protocol engine of a new connection.

use std::time::Instant;

use stardust_proto::zero::Request;
use stardust_proto::{AcceptedPeer, ChannelTable, Connection, ConnectionConfig};

use super::seq::SeqGenerator;
use crate::channel::ChannelRegistry;
use crate::udp::config::{UDP_TRANSPORT_ID, UdpConfig};

/// The channel table, the protocol hash and the per-connection settings new engines are
/// made with, and the source of their first packet numbers.
///
/// Invariant: new connections use the table and hash current at their start; existing ones
/// keep theirs.
#[derive(Debug)]
pub(crate) struct Engines {
    config: ConnectionConfig,
    transport_version: u32,
    channels: Option<ChannelTable>,
    protocol_hash: u64,
    seq: SeqGenerator,
}

impl Engines {
    /// Engines configured by `config`, with packet numbers seeded from the clock and `salt`.
    pub(crate) fn new(config: &UdpConfig, salt: u64) -> Self {
        Self {
            config: config.connection_config(),
            transport_version: config.transport_version,
            channels: None,
            protocol_hash: 0,
            seq: SeqGenerator::from_time(salt),
        }
    }

    /// Rebuilds the channel table from `registry` when it changed (or was never built).
    pub(crate) fn refresh_channels(&mut self, registry: &ChannelRegistry, changed: bool) {
        if self.channels.is_some() && !changed {
            return;
        }
        match ChannelTable::new(registry.iter().map(|entry| (entry.id, entry.config))) {
            Ok(table) => self.channels = Some(table),
            Err(error) => bevy::log::error!("udp transport cannot use the channels: {error}"),
        }
    }

    /// The protocol hash new connections present.
    pub(crate) fn protocol_hash(&self) -> u64 {
        self.protocol_hash
    }

    pub(crate) fn set_protocol_hash(&mut self, hash: u64) {
        self.protocol_hash = hash;
    }

    /// A random-looking packet number for this side of a new connection.
    pub(crate) fn next_seq(&mut self) -> u16 {
        self.seq.next_u16()
    }

    /// The engine of a peer the listen port accepted; `None` without a channel table.
    pub(crate) fn accepted(&self, now: Instant, peer: &AcceptedPeer) -> Option<Connection> {
        let channels = self.channels.clone()?;
        Some(Connection::accepted(self.config.clone(), channels, now, peer))
    }

    /// The engine of a connection to a remote listener, its request due at `now`; `None`
    /// without a channel table.
    pub(crate) fn connect(&mut self, now: Instant) -> Option<Connection> {
        let channels = self.channels.clone()?;
        let request = Request {
            transport_id: UDP_TRANSPORT_ID,
            transport_version: self.transport_version,
            protocol_hash: self.protocol_hash,
            seq: self.seq.next_u16(),
        };
        Some(Connection::connect(self.config.clone(), channels, request, now))
    }
}
