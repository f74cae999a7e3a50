//! Connecting to a remote listener: returns the peer entity at once.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bevy::ecs::component::Component;
use bevy::ecs::entity::Entity;
use bevy::ecs::system::Commands;
use bevy::ecs::world::World;
use stardust_proto::crypto::PublicKey;

use super::peer::{UdpDirection, UdpPeer};
use super::resolve::{ResolveError, resolve_udp_addr};
use crate::peer::Peer;

/// How one connection presents itself to the listener.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UdpConnectOptions {
    /// The listener's public key (its
    /// [`UdpTransport::public_key`](super::UdpTransport::public_key), printed by the listening
    /// App): the connection then fails with
    /// [`DisconnectReason::NotAuthenticated`](crate::peer::DisconnectReason::NotAuthenticated)
    /// unless the listener proves it holds that key, so no man in the middle can answer in its
    /// place. `None`: the connection takes the key the listener presents; it is encrypted,
    /// but an active man in the middle could answer instead of the listener.
    pub listener_key: Option<PublicKey>,
    /// Bytes for the listener's [`AcceptPolicy`](super::AcceptPolicy), e.g. a backend
    /// ticket; sent encrypted inside the handshake; at most 512 bytes (more is cut). Default
    /// empty.
    pub payload: Vec<u8>,
}

/// Marks an outgoing peer whose connection the transport has not started yet, with how it
/// presents itself.
#[derive(Component, Debug, Clone, Default)]
pub(crate) struct PendingConnect(pub(crate) UdpConnectOptions);

/// Connects to a remote UDP listener from [`Commands`] or a [`World`].
///
/// `connect_udp(addr)` spawns the peer entity at once, with [`Peer`]
/// ([`PeerState::Connecting`](crate::peer::PeerState::Connecting)) and [`UdpPeer`]
/// (`direction: Outgoing`, `remote` and `listen_addr` = `addr`, `local_port` 0 until bound).
/// The transport binds a client port and sends the request in its next
/// [`StardustSet::Receive`](crate::plugin::StardustSet::Receive) or
/// [`StardustSet::Send`](crate::plugin::StardustSet::Send); then the peer becomes
/// `Connected` on accept, or `Disconnected` with the rejection (also written as a
/// [`UdpConnectRejected`](super::UdpConnectRejected)), or
/// `Disconnected(`[`NobodyListening`](crate::peer::DisconnectReason::NobodyListening)`)` in
/// under a second when the host refuses every copy of the request (see
/// [`UdpConfig::nobody_listening_after`](super::UdpConfig::nobody_listening_after)), or
/// `Disconnected(TimedOut)` after
/// [`UdpConfig::handshake_timeout`](super::UdpConfig::handshake_timeout).
///
/// `addr` is the listener's listen address ([`UdpTransport::listen_addr`](super::UdpTransport::listen_addr)
/// on the other App). An unspecified IP (`0.0.0.0`, `::`) means this machine's loopback.
/// Add your own components to the returned entity freely.
///
/// Without options the connection is encrypted but takes whatever key the listener presents;
/// pass the listener's key with [`connect_udp_with`](Self::connect_udp_with) to rule out a man
/// in the middle.
///
/// To connect to an address as people write it (`localhost:7777`, `play.example.com:7777`,
/// `[::1]:7777`), use [`connect_udp_host`](Self::connect_udp_host): it resolves the name once,
/// at the call, blocking on the system resolver (see [`resolve_udp_addr`] for which address
/// it picks), and returns an error saying what to write when the text does not resolve or has
/// no port; no entity is spawned then.
pub trait UdpConnectExt {
    /// Starts connecting to the listener at `addr`; returns the peer entity.
    fn connect_udp(&mut self, addr: SocketAddr) -> Entity {
        self.connect_udp_with(addr, UdpConnectOptions::default())
    }

    /// Starts connecting to the listener at `addr` with `options` (its key, a payload);
    /// returns the peer entity.
    fn connect_udp_with(&mut self, addr: SocketAddr, options: UdpConnectOptions) -> Entity;

    /// Resolves `addr` (`host:port`, e.g. `localhost:7777`) once, now, with
    /// [`resolve_udp_addr`] (which blocks on the system resolver for a host name), then starts
    /// connecting to that address as [`connect_udp`](Self::connect_udp) does. Returns the peer
    /// entity, or the [`ResolveError`] (and spawns nothing).
    fn connect_udp_host(&mut self, addr: &str) -> Result<Entity, ResolveError> {
        self.connect_udp_host_with(addr, UdpConnectOptions::default())
    }

    /// [`connect_udp_host`](Self::connect_udp_host) with `options` (the listener's key, a
    /// payload).
    fn connect_udp_host_with(
        &mut self,
        addr: &str,
        options: UdpConnectOptions,
    ) -> Result<Entity, ResolveError> {
        let addr = resolve_udp_addr(addr)?;
        Ok(self.connect_udp_with(addr, options))
    }
}

impl UdpConnectExt for Commands<'_, '_> {
    fn connect_udp_with(&mut self, addr: SocketAddr, options: UdpConnectOptions) -> Entity {
        self.spawn(outgoing(addr, options)).id()
    }
}

impl UdpConnectExt for World {
    fn connect_udp_with(&mut self, addr: SocketAddr, options: UdpConnectOptions) -> Entity {
        self.spawn(outgoing(addr, options)).id()
    }
}

fn outgoing(addr: SocketAddr, options: UdpConnectOptions) -> (Peer, UdpPeer, PendingConnect) {
    let addr = concrete(addr);
    let peer = UdpPeer {
        remote: addr,
        local_port: 0,
        direction: UdpDirection::Outgoing,
        listen_addr: Some(addr),
        peer_key: options.listener_key,
        secure: false,
    };
    (Peer, peer, PendingConnect(options))
}

/// The address replies will come from: an unspecified IP becomes the loopback.
fn concrete(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), addr.port())
        }
        _ => addr,
    }
}
