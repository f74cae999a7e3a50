//! The client ports: the local sockets of the connections this App makes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use thiserror::Error;

use crate::udp::port_io::{BufferShape, Buffers, PeerSlot, PortIo};
use crate::udp::socket::{BindError, PortSocket, SocketConfig};

/// The client ports, bound on demand and closed when their last connection ends, and the
/// buffers the tasks that run them share (client ports are many and carry few peers each,
/// so they own none).
///
/// Invariants: a client port carries at most one connection per remote listen address (the
/// listener tells its peers apart by address); a port whose socket is connected to its one
/// peer (see [`PortSocket::connect`]) takes no other; no port is empty between two frames.
#[derive(Debug)]
pub(crate) struct ClientPorts {
    ports: Vec<PortIo>,
    /// One set per task of a phase; grown on demand.
    buffers: Vec<Buffers>,
    shape: BufferShape,
    bind: SocketAddr,
    socket: SocketConfig,
    /// Whether a port reads ICMP "port unreachable" reports while one of its connections is
    /// being set up (see [`PortIo::take_refusals`]).
    watch_refusals: bool,
}

/// Why a connection could not be given a client port.
#[derive(Debug, Error)]
pub(crate) enum OpenError {
    /// A new client port could not be bound.
    #[error("{0}")]
    Bind(#[from] BindError),
    /// The chosen port already talks to that listener (an invariant broken; never expected).
    #[error("a connection to {listen} already uses this client port")]
    AddressInUse { listen: SocketAddr },
}

impl ClientPorts {
    /// No client port yet; new ones bind on `bind` (port 0: OS-chosen) with `socket` options.
    /// `watch_refusals`: whether ports read the refusals of requests to a closed port.
    pub(crate) fn new(
        shape: BufferShape,
        bind: SocketAddr,
        socket: SocketConfig,
        watch_refusals: bool,
    ) -> Self {
        Self { ports: Vec::new(), buffers: Vec::new(), shape, bind, socket, watch_refusals }
    }

    /// Puts `slot` (an outgoing peer, talking to its listen address) on the least loaded
    /// client port that can take it, binding a new one if none can, and has the port read
    /// refusals before the slot's first request goes out (when watching them). Returns the
    /// local port.
    pub(crate) fn open(&mut self, slot: PeerSlot) -> Result<u16, OpenError> {
        let listen = slot.remote();
        let usable = self.ports.iter().enumerate().filter(|(_, io)| {
            // A port connected to its one peer hears no one else: it takes no new peer.
            io.socket().connected_to().is_none()
                && !io.peers().has_address(listen)
                && io.socket().local_addr().is_ipv4() == listen.is_ipv4()
        });
        let index = match usable.min_by_key(|(_, io)| io.peers().len()) {
            Some((index, _)) => index,
            None => {
                let socket = PortSocket::bind(bind_for(self.bind, listen), &self.socket)?;
                self.ports.push(PortIo::new(socket, None));
                self.ports.len() - 1
            }
        };
        let io = &mut self.ports[index];
        io.peers_mut().insert(slot).map_err(|_| OpenError::AddressInUse { listen })?;
        if self.watch_refusals {
            io.watch_refusals();
        }
        Ok(io.port())
    }

    /// The bound client ports.
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, PortIo> {
        self.ports.iter()
    }

    /// The bound client ports, mutably.
    pub(crate) fn iter_mut(&mut self) -> std::slice::IterMut<'_, PortIo> {
        self.ports.iter_mut()
    }

    /// How many client ports are bound.
    pub(crate) fn len(&self) -> usize {
        self.ports.len()
    }

    /// Splits the ports into groups of at most `group` ports, each lent one set of buffers:
    /// the unit a phase runs as one task.
    pub(crate) fn groups(
        &mut self,
        group: usize,
    ) -> impl Iterator<Item = (&mut [PortIo], &mut Buffers)> + '_ {
        let group = group.max(1);
        let needed = self.ports.len().div_ceil(group);
        while self.buffers.len() < needed {
            self.buffers.push(self.shape.make());
        }
        self.ports.chunks_mut(group).zip(self.buffers.iter_mut())
    }

    /// A set of buffers for a one-off send outside the phases.
    pub(crate) fn spare_buffers(&mut self) -> Buffers {
        self.buffers.pop().unwrap_or_else(|| self.shape.make())
    }

    /// Removes every finished connection, and closes the ports left empty.
    pub(crate) fn remove_finished(&mut self) {
        for io in &mut self.ports {
            io.peers_mut().remove_finished(|_| {});
        }
        self.ports.retain(|io| !io.peers().is_empty());
    }
}

/// The address to bind for reaching `remote`: the configured one when the address families
/// match, else the unspecified address of `remote`'s family.
fn bind_for(configured: SocketAddr, remote: SocketAddr) -> SocketAddr {
    if configured.is_ipv4() == remote.is_ipv4() {
        return configured;
    }
    let ip = match remote.ip() {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    SocketAddr::new(ip, 0)
}
