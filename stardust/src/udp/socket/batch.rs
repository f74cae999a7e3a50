//! The preallocated batches a [`PortSocket`](super::PortSocket) receives into and sends from:
//! their buffers are allocated once and reused by every call, so steady traffic allocates
//! nothing.

use std::io;
use std::net::SocketAddr;

use socket2::SockAddr;
use thiserror::Error;

/// Datagrams the first receive syscall of a fill asks for. Most calls find none or one (a
/// port polled every frame, or busy-polled, between two datagrams), and the call's setup
/// costs per datagram asked for; a first call that fills up is followed by calls for as many
/// as a syscall moves.
const FIRST_CALL: usize = 4;

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

    /// Whether the slot holds a whole datagram of at most `max` bytes from a readable source.
    fn is_valid(&self, max: usize) -> bool {
        self.from.is_some() && !self.truncated && self.len <= max
    }
}

/// Preallocated room for a batch of received datagrams and their sources.
///
/// Invariant: holds `capacity` slots of `max_datagram_size` bytes (plus one byte to catch
/// oversize datagrams on every platform), allocated once in [`new`](Self::new) and reused by
/// every [`PortSocket::recv_batch`](super::PortSocket::recv_batch).
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

    /// Calls `visit` with the source and the bytes, writable, of each valid datagram of the
    /// last receive, in arrival order (a peer port opens sealed packets where they lie).
    pub fn for_each_mut(&mut self, mut visit: impl FnMut(SocketAddr, &mut [u8])) {
        let (stride, max) = (self.stride(), self.max_datagram_size);
        for (i, meta) in self.metas[..self.received].iter().enumerate() {
            let Some(from) = meta.from.filter(|_| meta.is_valid(max)) else { continue };
            let start = i * stride;
            if let Some(bytes) = self.buffers.get_mut(start..start + meta.len) {
                visit(from, bytes);
            }
        }
    }

    /// The valid datagrams of the last receive, in arrival order.
    pub fn iter(&self) -> impl Iterator<Item = Datagram<'_>> + '_ {
        let stride = self.stride();
        self.metas[..self.received].iter().enumerate().filter_map(move |(i, meta)| {
            let from = meta.from.filter(|_| meta.is_valid(self.max_datagram_size))?;
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

    /// Replaces the contents with what `recv` gives, up to the capacity: `recv(buffers,
    /// stride, metas)` receives up to `metas.len()` datagrams, datagram `i` into
    /// `buffers[i * stride..]`, and returns how many it got (fewer than asked: nothing more
    /// waits). The first call asks for [`FIRST_CALL`] datagrams, later ones for `chunk`.
    ///
    /// Returns how many datagrams were taken, valid or not. An error is returned only if it
    /// came before any datagram.
    pub(super) fn fill(
        &mut self,
        chunk: usize,
        mut recv: impl FnMut(&mut [u8], usize, &mut [SlotMeta]) -> io::Result<usize>,
    ) -> io::Result<usize> {
        self.clear();
        let stride = self.stride();
        while self.received < self.capacity {
            let start = self.received;
            let wanted = (self.capacity - start).min(if start == 0 { FIRST_CALL } else { chunk });
            let metas = &mut self.metas[start..start + wanted];
            let got = match recv(&mut self.buffers[start * stride..], stride, metas) {
                Ok(got) => got.min(wanted),
                Err(error) if self.received == 0 => return Err(error),
                Err(_) => break,
            };
            let max = self.max_datagram_size;
            self.truncated +=
                self.metas[start..start + got].iter().filter(|m| !m.is_valid(max)).count();
            self.received += got;
            if got < wanted {
                break;
            }
        }
        Ok(self.received)
    }

    fn stride(&self) -> usize {
        self.max_datagram_size.saturating_add(1)
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
    /// [`PortSocket::send_batch`](super::PortSocket::send_batch)).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Drops every queued datagram, keeping the buffers.
    pub fn clear(&mut self) {
        self.lens.clear();
        self.destinations.clear();
        self.head = 0;
    }

    /// Hands the queued datagrams, front first, to `send(datagrams, destinations)` (at most
    /// `chunk` per call), which returns how many left from the front: `Ok(0)` when the OS
    /// buffer is full (the rest stay queued), an error when the OS refused the first one
    /// (that one is dropped and counted in [`dropped`](Self::dropped), and the error
    /// returned). Returns how many were sent.
    pub(super) fn drain(
        &mut self,
        chunk: usize,
        mut send: impl FnMut(&mut dyn Iterator<Item = &[u8]>, &[SockAddr]) -> io::Result<usize>,
    ) -> io::Result<usize> {
        let mut sent = 0;
        while self.head < self.lens.len() {
            let end = self.lens.len().min(self.head + chunk);
            let mut datagrams = (self.head..end).map(|i| self.datagram(i));
            match send(&mut datagrams, &self.destinations[self.head..end]) {
                Ok(0) => break,
                Ok(n) => {
                    self.head += n.min(end - self.head);
                    sent += n;
                }
                Err(error) => {
                    self.head += 1;
                    self.dropped += 1;
                    self.reset_if_drained();
                    return Err(error);
                }
            }
        }
        self.reset_if_drained();
        Ok(sent)
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
