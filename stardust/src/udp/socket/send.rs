//! The one queue-flush-count step every port sends with, the listen port included.

use std::net::SocketAddr;

use super::{PortSocket, SendBatch, UdpPortStats};

/// One port's sending side for a phase: its socket, the batch its datagrams wait in, and the
/// counters they are counted in.
///
/// Invariant: every datagram handed to [`push`](Self::push) is counted exactly once: in
/// `bytes_out` when queued, then in `packets_out` when the OS takes it or in
/// `dropped_outgoing` when it is refused or finds no room.
#[derive(Debug)]
pub(crate) struct Sender<'a> {
    socket: &'a PortSocket,
    batch: &'a mut SendBatch,
    stats: &'a mut UdpPortStats,
}

impl<'a> Sender<'a> {
    pub(crate) fn new(
        socket: &'a PortSocket,
        batch: &'a mut SendBatch,
        stats: &'a mut UdpPortStats,
    ) -> Self {
        Self { socket, batch, stats }
    }

    /// Whether the batch has room for one more datagram, sending what it holds first when it
    /// is full. `false` means the OS buffer is full too: whoever would produce a datagram
    /// should keep it for a later frame.
    pub(crate) fn has_room(&mut self) -> bool {
        if self.batch.is_full() {
            self.flush();
        }
        !self.batch.is_full()
    }

    /// Queues a copy of `bytes` for `to`, making room first if needed; a datagram that finds
    /// no room, or is too large for the batch, is dropped and counted.
    pub(crate) fn push(&mut self, to: SocketAddr, bytes: &[u8]) {
        self.has_room();
        match self.batch.push(to, bytes) {
            Ok(()) => self.stats.bytes_out += bytes.len() as u64,
            Err(_) => self.stats.dropped_outgoing += 1,
        }
    }

    /// Sends what the batch holds, counting what left and what the OS refused. Stops early
    /// when the OS buffer is full (the rest stays queued). Never blocks: each refusal removes
    /// one datagram, so the loop ends.
    pub(crate) fn flush(&mut self) {
        for _ in 0..=self.batch.capacity() {
            if self.batch.is_empty() {
                return;
            }
            let before = self.batch.dropped();
            let waiting = self.batch.len();
            let result = self.socket.send_batch(self.batch);
            let dropped = self.batch.dropped() - before;
            self.stats.dropped_outgoing += dropped;
            self.stats.packets_out += ((waiting - self.batch.len()) as u64).saturating_sub(dropped);
            match result {
                Ok(0) => return,
                Ok(_) => {}
                Err(_) => self.stats.io_errors += 1,
            }
        }
    }

    /// Runs `f` on the counters this sender counts into.
    pub(crate) fn with_stats<R>(&mut self, f: impl FnOnce(&mut UdpPortStats) -> R) -> R {
        f(self.stats)
    }

    /// Drops what the OS would not take (the batch is empty afterwards), counting it: for a
    /// batch lent to several ports in turn, which must be empty for the next one.
    pub(crate) fn discard_unsent(&mut self) {
        self.stats.dropped_outgoing += self.batch.len() as u64;
        self.batch.clear();
    }
}
