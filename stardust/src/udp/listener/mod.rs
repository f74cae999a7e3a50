//! The listen port: handshakes arrive here as zero messages and are answered from here.
//!
//! [`ListenPort`] owns the listen socket and the handshake engine
//! ([`Endpoint`]). Replies the endpoint decides alone (rejections,
//! re-sent accepts) leave in the receive phase; valid requests wait for the serial accept
//! pass (`systems/accept.rs`), which seats each on a peer port (`ports/`).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::Value;
use stardust_proto::crypto::{Entropy, PublicKey, SeededEntropy, StaticKeypair};
use stardust_proto::zero::ZERO_MAX_SIZE;
use stardust_proto::{
    AcceptedPeer, ConnectRequest, Endpoint, EndpointConfig, EndpointSecurity, EndpointStats,
    Handled, ReasonCode, RecordKey,
};

use super::socket::{self, PortSocket, RecvBatch, SendBatch, Sender, UdpPortStats};
use crate::conditioner::{DatagramConditioner, NetworkConditioner};

/// Receive batches taken per frame at most, so a flood of requests cannot hold a frame.
const MAX_RECV_BATCHES: usize = 16;

/// The listen socket, its batches and its [`Endpoint`].
#[derive(Debug)]
pub(crate) struct ListenPort {
    socket: PortSocket,
    recv: RecvBatch,
    send: SendBatch,
    reply: Vec<u8>,
    /// Created on the first frame, when the protocol hash is final.
    endpoint: Option<Endpoint>,
    requests: VecDeque<ConnectRequest>,
    stats: UdpPortStats,
    /// The socket is read at most once per this interval.
    poll_interval: Duration,
    /// When the socket was last read (`None`: never).
    last_poll: Option<Instant>,
    /// The listener's static key pair; `None` when insecure.
    identity: Option<StaticKeypair>,
    /// Where each new endpoint's randomness comes from.
    entropy: SeededEntropy,
    /// The network conditioner of the listen port, while one is on or holds datagrams.
    conditioner: Option<Box<DatagramConditioner<SocketAddr>>>,
}

impl ListenPort {
    /// The listen port over `socket`, moving `batch` datagrams per syscall (of at most
    /// [`ZERO_MAX_SIZE`] bytes: every handshake message fits), read at most once per
    /// `poll_interval`; secure with `identity` (insecure when `None`).
    pub(crate) fn new(
        socket: PortSocket,
        batch: usize,
        poll_interval: Duration,
        identity: Option<StaticKeypair>,
        entropy: SeededEntropy,
    ) -> Self {
        Self {
            socket,
            recv: RecvBatch::new(batch.max(1), ZERO_MAX_SIZE),
            send: SendBatch::new(batch.max(1), ZERO_MAX_SIZE),
            reply: Vec::with_capacity(ZERO_MAX_SIZE),
            endpoint: None,
            requests: VecDeque::new(),
            stats: UdpPortStats::default(),
            poll_interval,
            last_poll: None,
            identity,
            entropy,
            conditioner: None,
        }
    }

    /// Applies `settings` to the handshakes from now on, as
    /// [`PortIo::condition`](super::port_io::PortIo::condition) does to a peer port.
    pub(crate) fn condition(&mut self, settings: &NetworkConditioner, next_stream: &mut u64) {
        DatagramConditioner::apply(&mut self.conditioner, settings, next_stream);
    }

    /// Datagrams the conditioner holds back now, both ways.
    pub(crate) fn conditioner_held(&self) -> usize {
        self.conditioner.as_deref().map_or(0, DatagramConditioner::held)
    }

    /// The listener's static public key; `None` when insecure.
    pub(crate) fn public_key(&self) -> Option<PublicKey> {
        self.identity.as_ref().map(StaticKeypair::public)
    }

    /// The bound listen address.
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.socket.local_addr()
    }

    /// The port's counters.
    pub(crate) fn stats(&self) -> UdpPortStats {
        self.stats
    }

    /// The handshake counters, once the endpoint exists.
    pub(crate) fn endpoint_stats(&self) -> Option<EndpointStats> {
        self.endpoint.as_ref().map(|endpoint| *endpoint.stats())
    }

    /// Makes the endpoint answer with `config` from now on: it is created the first time;
    /// later it is replaced only while no peer is recorded (a changed protocol hash must not
    /// forget connected peers). Returns `false` when the change had to wait.
    pub(crate) fn configure(&mut self, config: EndpointConfig, now: Instant) -> bool {
        match &self.endpoint {
            Some(endpoint) if endpoint.config() == &config => true,
            Some(endpoint) if endpoint.peer_count() > 0 => false,
            _ => {
                let security = match &self.identity {
                    Some(identity) => EndpointSecurity::Secure(identity.clone()),
                    None => EndpointSecurity::Insecure,
                };
                let entropy = Box::new(SeededEntropy::new(self.entropy.bytes32()));
                self.endpoint = Some(Endpoint::new(config, security, entropy, now));
                true
            }
        }
    }

    /// Tells the endpoint how many accepted peers have not proven themselves yet.
    pub(crate) fn set_unproven(&mut self, unproven: usize) {
        if let Some(endpoint) = self.endpoint.as_mut() {
            endpoint.set_unproven(unproven);
        }
    }

    /// Opens or closes the door to new peers.
    pub(crate) fn set_accepting(&mut self, accepting: bool) {
        if let Some(endpoint) = self.endpoint.as_mut() {
            endpoint.set_accepting(accepting);
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

    /// When [`due`](Self::due): reads the waiting handshakes (through the conditioner's
    /// inbound conditions when one is on, then those it held that are now due), answers what
    /// the endpoint answers alone, and keeps the valid requests for
    /// [`next_request`](Self::next_request).
    pub(crate) fn receive(&mut self, now: Instant) {
        if !self.due(now) {
            return;
        }
        self.last_poll = Some(now);
        let Self { socket, recv, send, reply, endpoint, requests, stats, conditioner, .. } = self;
        let Some(endpoint) = endpoint.as_mut() else { return };
        let sock: &PortSocket = socket;
        let mut handshakes = Handshakes { socket: sock, send, reply, endpoint, requests };
        socket::receive(sock, recv, stats, MAX_RECV_BATCHES, |from, bytes, stats| {
            let at_once = match conditioner.as_deref_mut() {
                None => true,
                Some(held) => {
                    let mut counts = stats.conditioner;
                    let at_once = held.admit_inbound(now, from, bytes, &mut counts);
                    stats.conditioner = counts;
                    at_once
                }
            };
            if at_once {
                handshakes.handle(now, from, bytes, stats, conditioner.as_deref_mut());
            }
        });
        for _ in 0..MAX_RELEASED {
            let Some(held) = conditioner.as_deref_mut() else { break };
            let Some((from, bytes)) = held.pop_inbound(now) else { break };
            handshakes.handle(now, from, &bytes, stats, conditioner.as_deref_mut());
            if let Some(held) = conditioner.as_deref_mut() {
                held.recycle(bytes);
            }
        }
        Sender::new(sock, handshakes.send, stats).flush();
    }

    /// The next valid request waiting for the accept pass, oldest first.
    pub(crate) fn next_request(&mut self) -> Option<ConnectRequest> {
        self.requests.pop_front()
    }

    /// Accepts `request` onto the peer port `port`, and queues the accept for its sender
    /// (sent by [`flush`](Self::flush)). `None` when the endpoint does not exist yet (no
    /// request can have been read then).
    pub(crate) fn accept(
        &mut self,
        now: Instant,
        request: ConnectRequest,
        port: u16,
    ) -> Option<AcceptedPeer> {
        let endpoint = self.endpoint.as_mut()?;
        let from = request.from();
        let accepted = endpoint.accept(now, request, port, &mut self.reply);
        self.send_reply(now, from);
        Some(accepted)
    }

    /// Refuses `request` with `code` and `data` at `now`, queueing the reject for its sender.
    pub(crate) fn reject(
        &mut self,
        now: Instant,
        request: ConnectRequest,
        code: ReasonCode,
        data: Value,
    ) {
        let Some(endpoint) = self.endpoint.as_mut() else { return };
        let from = request.from();
        endpoint.reject(request, code, data, &mut self.reply);
        self.send_reply(now, from);
    }

    /// Queues the reply in `self.reply` for `to`, through the conditioner's outbound
    /// conditions when one is on.
    fn send_reply(&mut self, now: Instant, to: SocketAddr) {
        let mut sender = Sender::new(&self.socket, &mut self.send, &mut self.stats);
        send_conditioned(&mut sender, self.conditioner.as_deref_mut(), now, to, &self.reply);
    }

    /// Forgets the peer recorded as `record` (it left), freeing its place in the endpoint.
    /// Tells the endpoint that the peer of `record` proved itself, so it frees the reply it
    /// kept for copies of the request.
    pub(crate) fn proven(&mut self, record: RecordKey) {
        if let Some(endpoint) = self.endpoint.as_mut() {
            endpoint.proven(record);
        }
    }

    pub(crate) fn forget(&mut self, now: Instant, record: RecordKey) {
        if let Some(endpoint) = self.endpoint.as_mut() {
            endpoint.forget(now, record);
        }
    }

    /// Sends whatever replies are queued, and those the conditioner held that are due at
    /// `now`.
    pub(crate) fn flush(&mut self, now: Instant) {
        let mut sender = Sender::new(&self.socket, &mut self.send, &mut self.stats);
        if let Some(held) = self.conditioner.as_deref_mut() {
            held.release_outbound(now, |to, bytes| sender.push(to, bytes));
        }
        sender.flush();
        if self.conditioner.as_deref().is_some_and(DatagramConditioner::is_idle) {
            self.conditioner = None;
        }
    }
}

/// Held handshakes released per read at most: their number is bounded by what was read
/// before, this only bounds the loop.
const MAX_RELEASED: usize = 1 << 16;

/// What answering a handshake needs, borrowed from the port for one read.
struct Handshakes<'a> {
    socket: &'a PortSocket,
    send: &'a mut SendBatch,
    reply: &'a mut Vec<u8>,
    endpoint: &'a mut Endpoint,
    requests: &'a mut VecDeque<ConnectRequest>,
}

impl Handshakes<'_> {
    /// Hands `bytes` from `from` to the endpoint: its reply goes out (through `conditioner`
    /// when one is on), a valid request waits for the accept pass.
    fn handle(
        &mut self,
        now: Instant,
        from: SocketAddr,
        bytes: &[u8],
        stats: &mut UdpPortStats,
        conditioner: Option<&mut DatagramConditioner<SocketAddr>>,
    ) {
        match self.endpoint.handle(now, from, bytes, self.reply) {
            Handled::Reply => {
                let mut sender = Sender::new(self.socket, self.send, stats);
                send_conditioned(&mut sender, conditioner, now, from, self.reply);
            }
            Handled::Request(request) => self.requests.push_back(request),
            Handled::Dropped(_) => {}
        }
    }
}

/// Queues `bytes` for `to` on `sender`, or lets `conditioner` drop or hold it.
fn send_conditioned(
    sender: &mut Sender<'_>,
    conditioner: Option<&mut DatagramConditioner<SocketAddr>>,
    now: Instant,
    to: SocketAddr,
    bytes: &[u8],
) {
    let at_once = match conditioner {
        None => true,
        Some(held) => sender.with_stats(|stats| {
            let mut counts = stats.conditioner;
            let at_once = held.admit_outbound(now, to, bytes, &mut counts);
            stats.conditioner = counts;
            at_once
        }),
    };
    if at_once {
        sender.push(to, bytes);
    }
}
