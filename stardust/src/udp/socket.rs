//! One bound UDP port as a non-blocking socket that moves datagrams in batches.
//!
//! [`PortSocket::recv_batch`] fills a preallocated [`RecvBatch`] with as many waiting datagrams
//! as it holds, and [`PortSocket::send_batch`] sends a [`SendBatch`] whose datagrams may go to
//! many destinations. On Linux and Android each batch of up to 64 datagrams is one
//! `recvmmsg`/`sendmmsg` syscall; elsewhere it is a loop of single calls with the same
//! behaviour. Batches keep their buffers, so steady-state traffic allocates nothing.

use std::io;
use std::net::{SocketAddr, UdpSocket};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use thiserror::Error;

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

/// Datagrams the first receive syscall of a [`PortSocket::recv_batch`] asks for. Most calls
/// find none or one (a port polled every frame, or busy-polled, between two datagrams), and
/// the call's setup costs per datagram asked for; a first call that fills up is followed by
/// calls for as many as a syscall moves.
const FIRST_CALL: usize = 4;

/// A bound, non-blocking UDP socket for one port. No call on it ever blocks or panics: "nothing
/// more now" is `Ok(0)`, interrupted syscalls are retried, other OS errors are returned.
#[derive(Debug)]
pub struct PortSocket {
    socket: UdpSocket,
    local_addr: SocketAddr,
    /// The one remote address the socket is connected to, if it is (see
    /// [`connect`](Self::connect)).
    connected: Option<SockAddr>,
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
        Ok(Self { socket, local_addr, connected: None })
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
        batch.clear();
        let stride = batch.stride();
        while batch.received < batch.capacity {
            let start = batch.received;
            let chunk = if start == 0 { FIRST_CALL } else { sys::CHUNK };
            let wanted = (batch.capacity - start).min(chunk);
            let result = sys::recv(
                &self.socket,
                &mut batch.buffers[start * stride..],
                stride,
                &mut batch.metas[start..start + wanted],
            );
            let got = match result {
                Ok(got) => got,
                Err(error) if batch.received == 0 => return Err(error),
                Err(_) => break,
            };
            for meta in &batch.metas[start..start + got] {
                if !batch.is_valid(meta) {
                    batch.truncated += 1;
                }
            }
            batch.received += got;
            if got < wanted {
                break;
            }
        }
        Ok(batch.received)
    }

    /// Sends the datagrams queued in `batch`, front first, without blocking; sent datagrams
    /// leave the batch.
    ///
    /// Returns how many were sent. When the socket buffer fills, the rest stay queued for a
    /// later call and this returns what went out so far. When the OS refuses a datagram (an
    /// unreachable destination, say), that datagram is dropped from the batch and counted in
    /// [`SendBatch::dropped`], the error is returned, and a later call goes on with the rest.
    pub fn send_batch(&self, batch: &mut SendBatch) -> io::Result<usize> {
        let mut sent = 0;
        while batch.head < batch.lens.len() {
            let end = batch.lens.len().min(batch.head + sys::CHUNK);
            let datagrams = (batch.head..end).map(|i| batch.datagram(i));
            let destinations = &batch.destinations[batch.head..end];
            match sys::send(&self.socket, datagrams, destinations, self.connected.as_ref()) {
                Ok(0) => break,
                Ok(n) => {
                    batch.head += n;
                    sent += n;
                }
                Err(error) => {
                    batch.head += 1;
                    batch.dropped += 1;
                    batch.reset_if_drained();
                    return Err(error);
                }
            }
        }
        batch.reset_if_drained();
        Ok(sent)
    }
}

/// Metadata of one received slot, written by the platform receive call.
#[derive(Debug, Clone, Copy)]
pub(super) struct SlotMeta {
    /// The source, or `None` for an address family that UDP over IP never produces.
    pub(super) from: Option<SocketAddr>,
    /// The datagram's real length, which may exceed the slot.
    pub(super) len: usize,
    /// Whether the OS cut the datagram to fit the slot.
    pub(super) truncated: bool,
}

impl SlotMeta {
    const EMPTY: Self = Self { from: None, len: 0, truncated: false };
}

/// Preallocated room for a batch of received datagrams and their sources.
///
/// Invariant: holds `capacity` slots of `max_datagram_size` bytes (plus one byte to catch
/// oversize datagrams on every platform), allocated once in [`new`](Self::new) and reused by
/// every [`PortSocket::recv_batch`].
#[derive(Debug, Clone)]
pub struct RecvBatch {
    max_datagram_size: usize,
    capacity: usize,
    buffers: Box<[u8]>,
    metas: Box<[SlotMeta]>,
    received: usize,
    truncated: usize,
}

/// One valid received datagram: its source and its bytes, borrowed from a [`RecvBatch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Datagram<'a> {
    /// The source address.
    pub from: SocketAddr,
    /// The payload, complete: never a cut-off prefix.
    pub bytes: &'a [u8],
}

impl RecvBatch {
    /// Room for `capacity` datagrams of at most `max_datagram_size` bytes each. A longer
    /// datagram is counted as truncated and never yielded.
    pub fn new(capacity: usize, max_datagram_size: usize) -> Self {
        let stride = max_datagram_size.saturating_add(1);
        Self {
            max_datagram_size,
            capacity,
            buffers: vec![0; capacity.saturating_mul(stride)].into_boxed_slice(),
            metas: vec![SlotMeta::EMPTY; capacity].into_boxed_slice(),
            received: 0,
            truncated: 0,
        }
    }

    /// The valid datagrams of the last receive, in arrival order.
    pub fn iter(&self) -> impl Iterator<Item = Datagram<'_>> + '_ {
        let stride = self.stride();
        self.metas[..self.received].iter().enumerate().filter_map(move |(i, meta)| {
            let from = meta.from.filter(|_| self.is_valid(meta))?;
            let start = i * stride;
            self.buffers.get(start..start + meta.len).map(|bytes| Datagram { from, bytes })
        })
    }

    /// How many datagrams the last receive took off the socket, valid or not.
    pub fn received(&self) -> usize {
        self.received
    }

    /// How many datagrams of the last receive were dropped: longer than the maximum size (and
    /// so cut by the OS), or from an unreadable source address.
    pub fn truncated(&self) -> usize {
        self.truncated
    }

    /// The most datagrams one receive takes.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The largest datagram accepted as valid, in bytes.
    pub fn max_datagram_size(&self) -> usize {
        self.max_datagram_size
    }

    /// Forgets the last receive, keeping the buffers.
    pub fn clear(&mut self) {
        self.received = 0;
        self.truncated = 0;
    }

    fn stride(&self) -> usize {
        self.max_datagram_size.saturating_add(1)
    }

    fn is_valid(&self, meta: &SlotMeta) -> bool {
        meta.from.is_some() && !meta.truncated && meta.len <= self.max_datagram_size
    }
}

/// Why [`SendBatch::push`] refused a datagram. The batch is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PushError {
    /// The batch holds `capacity` datagrams already.
    #[error("the send batch is full at {capacity} datagrams; send it before queueing more")]
    Full {
        /// The batch's capacity.
        capacity: usize,
    },
    /// The datagram is longer than the batch's slots.
    #[error("a {len}-byte datagram exceeds the {max}-byte maximum; fragment it before queueing")]
    TooLarge {
        /// The datagram's length.
        len: usize,
        /// The batch's maximum datagram size.
        max: usize,
    },
}

/// Preallocated datagrams queued for sending, each with its own destination.
///
/// Invariant: holds at most `capacity` datagrams of at most `max_datagram_size` bytes, in
/// buffers allocated once in [`new`](Self::new); queueing and sending never allocate.
#[derive(Debug, Clone)]
pub struct SendBatch {
    max_datagram_size: usize,
    capacity: usize,
    buffers: Box<[u8]>,
    lens: Vec<usize>,
    destinations: Vec<SockAddr>,
    head: usize,
    dropped: u64,
}

impl SendBatch {
    /// Room for `capacity` datagrams of at most `max_datagram_size` bytes each.
    pub fn new(capacity: usize, max_datagram_size: usize) -> Self {
        Self {
            max_datagram_size,
            capacity,
            buffers: vec![0; capacity.saturating_mul(max_datagram_size)].into_boxed_slice(),
            lens: Vec::with_capacity(capacity),
            destinations: Vec::with_capacity(capacity),
            head: 0,
            dropped: 0,
        }
    }

    /// Queues a copy of `bytes` for `to`.
    pub fn push(&mut self, to: SocketAddr, bytes: &[u8]) -> Result<(), PushError> {
        self.push_with(to, |slot| {
            let len = bytes.len().min(slot.len());
            slot[..len].copy_from_slice(&bytes[..len]);
            bytes.len()
        })
    }

    /// Queues a datagram for `to` that `write` encodes in place: it gets the whole slot
    /// (`max_datagram_size` bytes) and returns the length it wrote. A returned length beyond
    /// the slot refuses the datagram with [`PushError::TooLarge`].
    pub fn push_with(
        &mut self,
        to: SocketAddr,
        write: impl FnOnce(&mut [u8]) -> usize,
    ) -> Result<(), PushError> {
        let index = self.lens.len();
        if index >= self.capacity {
            return Err(PushError::Full { capacity: self.capacity });
        }
        let start = index * self.max_datagram_size;
        let Some(slot) = self.buffers.get_mut(start..start + self.max_datagram_size) else {
            return Err(PushError::Full { capacity: self.capacity });
        };
        let len = write(slot);
        if len > self.max_datagram_size {
            return Err(PushError::TooLarge { len, max: self.max_datagram_size });
        }
        self.lens.push(len);
        self.destinations.push(SockAddr::from(to));
        Ok(())
    }

    /// How many datagrams wait to be sent.
    pub fn len(&self) -> usize {
        self.lens.len() - self.head
    }

    /// Whether nothing waits to be sent.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether [`push`](Self::push) would refuse for lack of room.
    pub fn is_full(&self) -> bool {
        self.lens.len() >= self.capacity
    }

    /// The most datagrams the batch holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The largest datagram the batch takes, in bytes.
    pub fn max_datagram_size(&self) -> usize {
        self.max_datagram_size
    }

    /// How many datagrams the OS refused since the batch was made (see
    /// [`PortSocket::send_batch`]).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Drops every queued datagram, keeping the buffers.
    pub fn clear(&mut self) {
        self.lens.clear();
        self.destinations.clear();
        self.head = 0;
    }

    fn datagram(&self, index: usize) -> &[u8] {
        let start = index * self.max_datagram_size;
        self.buffers.get(start..start + self.lens[index]).unwrap_or_default()
    }

    fn reset_if_drained(&mut self) {
        if self.head >= self.lens.len() {
            self.clear();
        }
    }
}

/// The platform receive/send calls: batched syscalls where the OS has them.
#[cfg(any(target_os = "linux", target_os = "android"))]
use super::mmsg as sys;

/// Portable single-datagram calls, with the same contract as `mmsg`.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
use super::single_calls as sys;
