//! The listen port: handshakes arrive here as zero messages and are answered from here.

use std::time::{Duration, Instant};

use stardust_proto::{ConnectRequest, Endpoint, Handled};

use super::flush::flush;
use super::port_stats::UdpPortStats;
use super::socket::{PortSocket, RecvBatch, SendBatch};

/// Receive batches taken per frame at most, so a flood of requests cannot hold a frame.
const MAX_RECV_BATCHES: usize = 16;

/// The listen socket and its [`Endpoint`]. Replies the endpoint decides alone (rejections,
/// re-sent accepts) leave in the receive phase; valid requests wait in `requests` for the
/// serial accept pass, which assigns each a peer port.
#[derive(Debug)]
pub(crate) struct ListenIo {
    pub(crate) socket: PortSocket,
    recv: RecvBatch,
    send: SendBatch,
    reply: Vec<u8>,
    /// Created on the first frame, when the protocol hash is final.
    pub(crate) endpoint: Option<Endpoint>,
    pub(crate) requests: Vec<ConnectRequest>,
    pub(crate) stats: UdpPortStats,
    /// The socket is read at most once per this interval.
    poll_interval: Duration,
    /// When the socket was last read (`None`: never).
    last_poll: Option<Instant>,
}

impl ListenIo {
    pub(crate) fn new(
        socket: PortSocket,
        batch: usize,
        max_datagram: usize,
        poll_interval: Duration,
    ) -> Self {
        Self {
            socket,
            recv: RecvBatch::new(batch.max(1), max_datagram),
            send: SendBatch::new(batch.max(1), max_datagram),
            reply: Vec::with_capacity(max_datagram),
            endpoint: None,
            requests: Vec::new(),
            stats: UdpPortStats::default(),
            poll_interval,
            last_poll: None,
        }
    }

    /// Whether [`receive`](Self::receive) at `now` would read the socket: the endpoint
    /// exists and the poll interval has passed since the last read.
    pub(crate) fn due(&self, now: Instant) -> bool {
        self.endpoint.is_some()
            && self
                .last_poll
                .is_none_or(|last| now.saturating_duration_since(last) >= self.poll_interval)
    }

    /// When [`due`](Self::due): reads the waiting handshakes, answers what the endpoint
    /// answers alone, and keeps the valid requests for [`requests`](Self::requests).
    pub(crate) fn receive(&mut self, now: Instant) {
        if !self.due(now) {
            return;
        }
        self.last_poll = Some(now);
        let Some(endpoint) = self.endpoint.as_mut() else { return };
        for _ in 0..MAX_RECV_BATCHES {
            let got = match self.socket.recv_batch(&mut self.recv) {
                Ok(got) => got,
                Err(_) => {
                    self.stats.io_errors += 1;
                    break;
                }
            };
            self.stats.packets_in += got as u64;
            self.stats.dropped_oversize += self.recv.truncated() as u64;
            for datagram in self.recv.iter() {
                self.stats.bytes_in += datagram.bytes.len() as u64;
                match endpoint.handle(datagram.from, datagram.bytes, &mut self.reply) {
                    Handled::Reply => {
                        if self.send.is_full() {
                            flush(&self.socket, &mut self.send, &mut self.stats);
                        }
                        match self.send.push(datagram.from, &self.reply) {
                            Ok(()) => self.stats.bytes_out += self.reply.len() as u64,
                            Err(_) => self.stats.dropped_outgoing += 1,
                        }
                    }
                    Handled::Request(request) => self.requests.push(request),
                    Handled::Dropped(_) => {}
                }
            }
            if got < self.recv.capacity() {
                break;
            }
        }
        flush(&self.socket, &mut self.send, &mut self.stats);
    }

    /// Queues `reply` for `to` on the listen port; [`flush`](Self::flush) sends it.
    pub(crate) fn send_reply(&mut self, to: std::net::SocketAddr, reply: &[u8]) {
        if self.send.is_full() {
            flush(&self.socket, &mut self.send, &mut self.stats);
        }
        match self.send.push(to, reply) {
            Ok(()) => self.stats.bytes_out += reply.len() as u64,
            Err(_) => self.stats.dropped_outgoing += 1,
        }
    }

    /// Sends whatever replies are queued.
    pub(crate) fn flush(&mut self) {
        flush(&self.socket, &mut self.send, &mut self.stats);
    }
}
