//! The one receive loop every port reads with, the listen port included.

use std::net::SocketAddr;

use super::{PortSocket, RecvBatch, UdpPortStats};

/// Takes the datagrams waiting on `socket`, `batch` by batch (at most `max_batches`, so a
/// flood cannot hold a frame), hands each valid one to `handle` (its source, its bytes,
/// writable where they lie, and `stats`), and counts them in `stats` (`packets_in` and
/// `dropped_oversize` for everything taken, `bytes_in` for the valid ones, `io_errors` for a
/// failed call).
///
/// Returns how many datagrams the socket gave; `batch` holds the last batch afterwards.
pub(crate) fn receive(
    socket: &PortSocket,
    batch: &mut RecvBatch,
    stats: &mut UdpPortStats,
    max_batches: usize,
    mut handle: impl FnMut(SocketAddr, &mut [u8], &mut UdpPortStats),
) -> usize {
    let mut read = 0;
    for _ in 0..max_batches {
        let got = match socket.recv_batch(batch) {
            Ok(got) => got,
            Err(_) => {
                stats.io_errors += 1;
                break;
            }
        };
        read += got;
        stats.packets_in += got as u64;
        stats.dropped_oversize += batch.truncated() as u64;
        batch.for_each_mut(|from, bytes| {
            stats.bytes_in += bytes.len() as u64;
            handle(from, bytes, stats);
        });
        if got < batch.capacity() {
            break;
        }
    }
    read
}
