//! What the transport needs to build the protocol engine of a new connection.

use std::sync::Arc;
use std::time::Instant;

use stardust_proto::crypto::SeededEntropy;
use stardust_proto::{
    AcceptedPeer, ChannelTable, ClientSecurity, ConnectParams, Connection, ConnectionConfig,
    SecureClient,
};

use crate::channel::ChannelRegistry;
use crate::udp::config::{UDP_TRANSPORT_ID, UdpConfig};
use crate::udp::connect::UdpConnectOptions;
use crate::udp::security::{Identity, UdpSecurity};

/// The channel table, the protocol hash, the security and the per-connection settings new
/// engines are made with, and the randomness they draw.
///
/// Invariant: new connections use the table and hash current at their start; existing ones
/// keep theirs.
#[derive(Debug)]
pub(crate) struct Engines {
    /// Shared by every connection of the transport.
    config: Arc<ConnectionConfig>,
    transport_version: u32,
    security: UdpSecurity,
    identity: Option<Identity>,
    channels: Option<ChannelTable>,
    protocol_hash: u64,
    entropy: SeededEntropy,
}

impl Engines {
    /// Engines configured by `config`, presenting `identity` when connecting (anonymous when
    /// `None`), drawing from `entropy`.
    pub(crate) fn new(
        config: &UdpConfig,
        identity: Option<Identity>,
        entropy: SeededEntropy,
    ) -> Self {
        Self {
            config: Arc::new(config.connection_config()),
            transport_version: config.transport_version,
            security: config.security,
            identity,
            channels: None,
            protocol_hash: 0,
            entropy,
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

    /// The engine of a peer the listen port accepted; `None` without a channel table.
    pub(crate) fn accepted(&self, now: Instant, peer: AcceptedPeer) -> Option<Connection> {
        let channels = self.channels.clone()?;
        Some(Connection::accepted(Arc::clone(&self.config), channels, now, peer))
    }

    /// The engine of a connection to a remote listener, its request due at `now`; `None`
    /// without a channel table.
    pub(crate) fn connect(
        &mut self,
        now: Instant,
        options: &UdpConnectOptions,
    ) -> Option<Connection> {
        let channels = self.channels.clone()?;
        let security = match self.security {
            UdpSecurity::Secure => ClientSecurity::Secure(SecureClient {
                identity: self.identity.as_ref().map(|identity| identity.keypair().clone()),
                listener_key: options.listener_key,
                app_payload: options.payload.clone(),
            }),
            UdpSecurity::Insecure => ClientSecurity::Insecure,
        };
        let params = ConnectParams {
            transport_id: UDP_TRANSPORT_ID,
            transport_version: self.transport_version,
            protocol_hash: self.protocol_hash,
            security,
        };
        Some(Connection::connect(
            Arc::clone(&self.config),
            channels,
            params,
            &mut self.entropy,
            now,
        ))
    }
}
