//! One bound UDP port as a non-blocking socket that moves datagrams in batches, and the
//! counting around it.
//!
//! [`PortSocket::recv_batch`] fills a preallocated [`RecvBatch`] with as many waiting datagrams
//! as it holds, and [`PortSocket::send_batch`] sends a [`SendBatch`] whose datagrams may go to
//! many destinations. On Linux and Android each batch of up to 64 datagrams is one
//! `recvmmsg`/`sendmmsg` syscall (`mmsg.rs`); elsewhere it is a loop of single calls with the
//! same behaviour (`single_calls.rs`). Both retry interrupted calls the same way (`retry.rs`).
//! Batches keep their buffers (`batch.rs`), so steady-state traffic allocates nothing.
//!
//! On Linux and Android a client port can also ask for the ICMP errors its datagrams draw
//! (`errqueue.rs`): how a connection attempt learns that nothing listens at its address.
//!
//! Every port of the transport, the listen port included, reads with the one receive loop of
//! `receive.rs` and sends with the one queue-flush-count step of `send.rs`, counting into its
//! [`UdpPortStats`] (`stats.rs`).

mod batch;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod errqueue;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod mmsg;
mod receive;
mod retry;
mod send;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod single_calls;
mod stats;

use std::io;
use std::net::{SocketAddr, UdpSocket};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use thiserror::Error;

pub use self::batch::{Datagram, PushError, RecvBatch, SendBatch};
pub(crate) use self::receive::receive;
pub(crate) use self::send::Sender;
pub use self::stats::UdpPortStats;

/// Socket options applied when a [`PortSocket`] is bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketConfig {
    /// `SO_RCVBUF` to request, in bytes, or `None` for the OS default. The OS may clamp it
    /// (on Linux to `net.core.rmem_max`); read the granted size with
    /// [`PortSocket::recv_buffer_size`].
    pub recv_buffer_size: Option<usize>,
    /// `SO_SNDBUF` to request, in bytes, or `None` for the OS default; clamped like the above.
    pub send_buffer_size: Option<usize>,
}

impl Default for SocketConfig {
    /// Asks for 2 MiB each way: a burst from hundreds of peers between two frames fits, where
    /// the usual default of about 200 KiB would drop datagrams.
    fn default() -> Self {
        Self { recv_buffer_size: Some(2 << 20), send_buffer_size: Some(2 << 20) }
    }
}

/// Why [`PortSocket::bind`] failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BindError {
    /// The OS refused to create the socket.
    #[error(
        "could not create a udp socket for {addr}: {source}; check that the address family is available"
    )]
    Create {
        /// The address the socket was for.
        addr: SocketAddr,
        /// The OS error.
        source: io::Error,
    },
    /// A socket option could not be set.
    #[error(
        "could not set {option} on the udp socket for {addr}: {source}; leave it unset in SocketConfig"
    )]
    Configure {
        /// The option that failed, like `SO_RCVBUF`.
        option: &'static str,
        /// The address the socket was for.
        addr: SocketAddr,
        /// The OS error.
        source: io::Error,
    },
    /// The address could not be bound.
    #[error(
        "could not bind udp port {addr}: {source}; pick a free port, or port 0 to let the OS choose"
    )]
    Bind {
        /// The address that was asked for.
        addr: SocketAddr,
        /// The OS error.
        source: io::Error,
    },
}

/// A bound, non-blocking UDP socket for one port. No call on it ever blocks or panics: "nothing
/// more now" is `Ok(0)`, interrupted syscalls are retried, other OS errors are returned.
#[derive(Debug)]
pub struct PortSocket {
    socket: UdpSocket,
    local_addr: SocketAddr,
    /// The one remote address the socket is connected to, if it is (see
    /// [`connect`](Self::connect)).
    connected: Option<SockAddr>,
    /// Whether the OS queues ICMP errors for [`take_refused`](Self::take_refused).
    reports_unreachable: bool,
}

impl PortSocket {
    /// Binds a non-blocking socket on `addr` (port 0 lets the OS choose) with `config` applied.
    pub fn bind(addr: SocketAddr, config: &SocketConfig) -> Result<Self, BindError> {
        let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))
            .map_err(|source| BindError::Create { addr, source })?;
        let configure = |option, result: io::Result<()>| {
            result.map_err(|source| BindError::Configure { option, addr, source })
        };
        if let Some(size) = config.recv_buffer_size {
            configure("SO_RCVBUF", socket.set_recv_buffer_size(size))?;
        }
        if let Some(size) = config.send_buffer_size {
            configure("SO_SNDBUF", socket.set_send_buffer_size(size))?;
        }
        configure("O_NONBLOCK", socket.set_nonblocking(true))?;
        socket.bind(&SockAddr::from(addr)).map_err(|source| BindError::Bind { addr, source })?;
        let socket = UdpSocket::from(socket);
        let local_addr = socket.local_addr().map_err(|source| BindError::Bind { addr, source })?;
        Ok(Self { socket, local_addr, connected: None, reports_unreachable: false })
    }

    /// Asks the OS to report the ICMP errors that datagrams sent from this socket draw
    /// (`on`), for [`take_refused`](Self::take_refused), or stops the reports and forgets the
    /// ones not read yet (`!on`). Returns whether reports are now on.
    ///
    /// While on, each ICMP error also makes the socket's next receive or send fail once with
    /// it (a send then sends nothing), unless `take_refused` read it first; reports cost
    /// receive-buffer memory until read. So a port turns them on only while it needs them.
    ///
    /// Only on Linux and Android (`IP_RECVERR`/`IPV6_RECVERR`, read with `MSG_ERRQUEUE`);
    /// elsewhere this does nothing and returns `Ok(false)`.
    pub fn report_unreachable(&mut self, on: bool) -> io::Result<bool> {
        if on == self.reports_unreachable {
            return Ok(on);
        }
        self.reports_unreachable = reports::report_errors(&self.socket, self.is_ipv6(), on)? && on;
        Ok(self.reports_unreachable)
    }

    /// Whether ICMP error reports are on (see [`report_unreachable`](Self::report_unreachable)).
    pub fn reports_unreachable(&self) -> bool {
        self.reports_unreachable
    }

    /// Reads the ICMP errors reported since the last call (at most 64), calling `refused`
    /// with the destination of each datagram that drew a "port unreachable": nothing listens
    /// on that port of that host. Other errors are read and passed over. Returns how many
    /// errors were read. Never blocks; `Ok(0)`, without a syscall, while reports are off.
    ///
    /// ICMP is not authenticated: anyone can forge such a report. Treat it as a hint.
    pub fn take_refused(&self, refused: impl FnMut(SocketAddr)) -> io::Result<usize> {
        if !self.reports_unreachable {
            return Ok(0);
        }
        reports::take_refused(&self.socket, refused)
    }

    fn is_ipv6(&self) -> bool {
        self.local_addr.is_ipv6()
    }

    /// Connects the socket to `remote`, for a port that talks to one peer only: the kernel
    /// then drops datagrams from any other source before they cost a receive, and datagrams
    /// to `remote` skip the route lookup of an unconnected send (about an eighth of a send on
    /// loopback). Datagrams to other addresses still go out. An ICMP error about `remote`
    /// (e.g. its port closed) is then returned by the next send or receive, once.
    ///
    /// Only on Linux and Android; elsewhere this does nothing and the socket stays open to
    /// every source.
    pub fn connect(&mut self, remote: SocketAddr) -> io::Result<()> {
        if sys::connect(&self.socket, remote)? {
            self.connected = Some(SockAddr::from(remote));
        }
        Ok(())
    }

    /// The remote address the socket is connected to, if it is.
    pub fn connected_to(&self) -> Option<SocketAddr> {
        self.connected.as_ref().and_then(SockAddr::as_socket)
    }

    /// The address the socket is bound to, with the OS-chosen port if port 0 was asked for.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    /// The `SO_RCVBUF` the OS granted, in bytes (Linux reports twice the request, for its
    /// bookkeeping).
    pub fn recv_buffer_size(&self) -> io::Result<usize> {
        socket2::SockRef::from(&self.socket).recv_buffer_size()
    }

    /// The `SO_SNDBUF` the OS granted, in bytes.
    pub fn send_buffer_size(&self) -> io::Result<usize> {
        socket2::SockRef::from(&self.socket).send_buffer_size()
    }

    /// Replaces the contents of `batch` with the datagrams waiting on the socket, up to its
    /// capacity, without blocking.
    ///
    /// Returns how many datagrams were taken off the socket, counting oversize ones, which are
    /// reported by [`RecvBatch::truncated`] and never yielded as valid; fewer than the capacity
    /// means the socket was drained. `Ok(0)` means nothing was waiting. An OS error is
    /// returned only if nothing was received before it (a lasting error shows again next call).
    pub fn recv_batch(&self, batch: &mut RecvBatch) -> io::Result<usize> {
        batch.fill(sys::CHUNK, |buffers, stride, metas| {
            sys::recv(&self.socket, buffers, stride, metas)
        })
    }

    /// Sends the datagrams queued in `batch`, front first, without blocking; sent datagrams
    /// leave the batch.
    ///
    /// Returns how many were sent. When the socket buffer fills, the rest stay queued for a
    /// later call and this returns what went out so far. When the OS refuses a datagram (an
    /// unreachable destination, say), that datagram is dropped from the batch and counted in
    /// [`SendBatch::dropped`], the error is returned, and a later call goes on with the rest.
    pub fn send_batch(&self, batch: &mut SendBatch) -> io::Result<usize> {
        batch.drain(sys::CHUNK, |datagrams, destinations| {
            sys::send(&self.socket, datagrams, destinations, self.connected.as_ref())
        })
    }
}

/// The platform receive/send calls: batched syscalls where the OS has them.
#[cfg(any(target_os = "linux", target_os = "android"))]
use self::mmsg as sys;

/// Portable single-datagram calls, with the same contract as `mmsg`.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
use self::single_calls as sys;

/// ICMP error reports, where the OS tells the destination of each.
#[cfg(any(target_os = "linux", target_os = "android"))]
use self::errqueue as reports;

/// No reports elsewhere: turning them on leaves them off, and nothing is ever read.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod reports {
    pub(super) fn report_errors(
        _socket: &std::net::UdpSocket,
        _ipv6: bool,
        _on: bool,
    ) -> std::io::Result<bool> {
        Ok(false)
    }

    pub(super) fn take_refused(
        _socket: &std::net::UdpSocket,
        _refused: impl FnMut(std::net::SocketAddr),
    ) -> std::io::Result<usize> {
        Ok(0)
    }
}
