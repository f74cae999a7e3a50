//! Sending a batch and counting the outcome, shared by every port.

use super::port_stats::UdpPortStats;
use super::socket::{PortSocket, SendBatch};

/// Sends what `batch` holds, counting in `stats` what left and what the OS refused. Stops
/// early when the OS buffer is full (the rest stays queued). Never blocks: each refusal
/// removes one datagram, so the loop ends.
pub(crate) fn flush(socket: &PortSocket, batch: &mut SendBatch, stats: &mut UdpPortStats) {
    for _ in 0..=batch.capacity() {
        if batch.is_empty() {
            return;
        }
        let before = batch.dropped();
        let waiting = batch.len();
        let result = socket.send_batch(batch);
        let dropped = batch.dropped() - before;
        stats.dropped_outgoing += dropped;
        stats.packets_out += ((waiting - batch.len()) as u64).saturating_sub(dropped);
        match result {
            Ok(0) => return,
            Ok(_) => {}
            Err(_) => stats.io_errors += 1,
        }
    }
}
