//! Connecting to a remote listener: returns the peer entity at once.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bevy::ecs::component::Component;
use bevy::ecs::entity::Entity;
use bevy::ecs::system::Commands;
use bevy::ecs::world::World;

use super::peer::{UdpDirection, UdpPeer};
use crate::peer::Peer;

/// Marks an outgoing peer whose connection the transport has not started yet.
#[derive(Component, Debug, Clone, Copy, Default)]
pub(crate) struct PendingConnect;

/// Connects to a remote UDP listener from [`Commands`] or a [`World`].
///
/// `connect_udp(addr)` spawns the peer entity at once, with [`Peer`]
/// ([`PeerState::Connecting`](crate::peer::PeerState::Connecting)) and [`UdpPeer`]
/// (`direction: Outgoing`, `remote` and `listen_addr` = `addr`, `local_port` 0 until bound).
/// The transport binds a client port and sends the request in its next
/// [`StardustSet::Receive`](crate::plugin::StardustSet::Receive) or
/// [`StardustSet::Send`](crate::plugin::StardustSet::Send); then the peer becomes
/// `Connected` on accept, or `Disconnected` with the rejection (also written as a
/// [`UdpConnectRejected`](super::UdpConnectRejected)), or `Disconnected(TimedOut)` after
/// [`UdpConfig::handshake_timeout`](super::UdpConfig::handshake_timeout).
///
/// `addr` is the listener's listen address ([`UdpTransport::listen_addr`](super::UdpTransport::listen_addr)
/// on the other App). An unspecified IP (`0.0.0.0`, `::`) means this machine's loopback.
/// Add your own components to the returned entity freely.
pub trait UdpConnectExt {
    /// Starts connecting to the listener at `addr`; returns the peer entity.
    fn connect_udp(&mut self, addr: SocketAddr) -> Entity;
}

impl UdpConnectExt for Commands<'_, '_> {
    fn connect_udp(&mut self, addr: SocketAddr) -> Entity {
        self.spawn(outgoing(addr)).id()
    }
}

impl UdpConnectExt for World {
    fn connect_udp(&mut self, addr: SocketAddr) -> Entity {
        self.spawn(outgoing(addr)).id()
    }
}

fn outgoing(addr: SocketAddr) -> (Peer, UdpPeer, PendingConnect) {
    let addr = concrete(addr);
    let peer = UdpPeer {
        remote: addr,
        local_port: 0,
        direction: UdpDirection::Outgoing,
        listen_addr: Some(addr),
    };
    (Peer, peer, PendingConnect)
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
