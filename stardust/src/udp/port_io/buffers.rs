//! The reusable memory of one port's phase.

use crate::udp::socket::{RecvBatch, SendBatch};

/// The reusable memory of one port's receive and send phases.
///
/// Invariant: buffers lent to several ports are empty between two ports' phases (receive
/// leaves nothing behind; a transmit with lent buffers drops what the OS would not take), so
/// one `Buffers` can serve several ports in turn.
#[derive(Debug)]
pub(crate) struct Buffers {
    pub(super) recv: RecvBatch,
    pub(super) send: SendBatch,
    /// The engine writes each datagram here before it is copied into the send batch.
    pub(super) scratch: Vec<u8>,
}

impl Buffers {
    /// Room for `batch` datagrams of at most `max_datagram` (received) and `mtu` (sent)
    /// bytes per syscall.
    pub(crate) fn new(batch: usize, max_datagram: usize, mtu: usize) -> Self {
        Self {
            recv: RecvBatch::new(batch.max(1), max_datagram),
            send: SendBatch::new(batch.max(1), mtu.max(max_datagram)),
            scratch: Vec::with_capacity(mtu.max(max_datagram)),
        }
    }
}

/// The sizes [`Buffers`] are made with, from the transport's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BufferShape {
    /// Datagrams per syscall.
    pub(crate) batch: usize,
    /// Largest datagram received.
    pub(crate) max_datagram: usize,
    /// Largest datagram sent.
    pub(crate) mtu: usize,
}

impl BufferShape {
    /// A fresh set of buffers of this shape.
    pub(crate) fn make(&self) -> Buffers {
        Buffers::new(self.batch, self.max_datagram, self.mtu)
    }
}
