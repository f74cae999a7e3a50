//! Feeds a listener (secure with either cookie policy, or insecure) and the connections it
//! accepts, from four addresses: arbitrary datagrams and requests built from the bytes (with
//! a cookie the address really got, or none), the genuine requests and packets of a client
//! at each address (possibly corrupted), accepts and rejects, arbitrary datagrams at the data
//! port, sends, closes, aborts, forgets, the door opened and shut, and time.
//!
//! Checks: nothing panics; no reply larger than the datagram that caused it, and no reply
//! left behind by a drop; never more peers than `max_peers`, and exactly as many as were
//! accepted and not forgotten; no datagram above the MTU.
#![no_main]

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use stardust_fuzz::{
    Events, Input, PROTOCOL_HASH, TRANSPORT_ID, TRANSPORT_VERSION, flip_bit, listener_identity,
    start,
};
use stardust_proto::crypto::SeededEntropy;
use stardust_proto::sealed::sealed_cid;
use stardust_proto::zero::{Request, RequestMode, ZeroMessage};
use stardust_proto::{
    ChannelConfig, ChannelId, ChannelTable, ClientSecurity, ConnectParams, Connection,
    ConnectionConfig, CookiePolicy, Endpoint, EndpointConfig, EndpointSecurity, Handled, Ordering,
    ReasonCode, RecordKey, Reliability, SecureClient,
};

const MAX_PEERS: usize = 2;
const MTU: usize = 1200;

fn channels() -> ChannelTable {
    let reliable = ChannelConfig::new(Reliability::Reliable, Ordering::Ordered).with_max_size(8192);
    let unreliable = ChannelConfig::new(Reliability::Unreliable, Ordering::Unordered);
    let id = |n| ChannelId::new(n).expect("a small channel id is valid");
    ChannelTable::new([(id(0), reliable), (id(5), unreliable)])
        .expect("two distinct channels make a valid table")
}

fn addr(index: u8) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 1000 + u16::from(index % 4)))
}

/// An accepted connection, where it came from and what to forget when it goes.
struct Peer {
    from: SocketAddr,
    conn: Connection,
    events: Events,
    record: RecordKey,
}

/// The genuine client at one address, and the last cookie a retry gave that address.
#[derive(Default)]
struct Client {
    conn: Option<Connection>,
    last_request: Vec<u8>,
    cookie: Option<Vec<u8>>,
}

struct Run {
    endpoint: Endpoint,
    secure: bool,
    peers: Vec<Peer>,
    clients: [Client; 4],
    entropy: SeededEntropy,
    /// Secure clients against an insecure listener or the reverse, for the refusals.
    mismatched: bool,
    buf: Vec<u8>,
    reply: Vec<u8>,
}

impl Run {
    fn new(input: &mut Input, now: Instant) -> Run {
        let flags = input.u8();
        let secure = flags & 1 == 0;
        let cookies = if flags & 2 == 0 {
            CookiePolicy::Always
        } else {
            CookiePolicy::WhenBusy { unproven: usize::from((flags >> 2) & 3) }
        };
        let config = EndpointConfig {
            transport_id: TRANSPORT_ID,
            transport_version: TRANSPORT_VERSION,
            protocol_hash: PROTOCOL_HASH,
            max_peers: MAX_PEERS,
            accepting: true,
            cookies,
        };
        let security = if secure {
            EndpointSecurity::Secure(listener_identity())
        } else {
            EndpointSecurity::Insecure
        };
        Run {
            endpoint: Endpoint::new(
                config,
                security,
                Box::new(SeededEntropy::from_u64(0xE4D)),
                now,
            ),
            secure,
            peers: Vec::new(),
            clients: Default::default(),
            entropy: SeededEntropy::from_u64(0xC11E),
            mismatched: flags & 0x30 == 0x30,
            buf: Vec::new(),
            reply: Vec::new(),
        }
    }

    /// Hands the listen port `datagram` from `from` and acts on the answer as a driver would;
    /// returns the reply to send back, if any.
    fn listen(
        &mut self,
        now: Instant,
        from: SocketAddr,
        datagram: &[u8],
        input: &mut Input,
    ) -> Option<Vec<u8>> {
        let handled = self.endpoint.handle(now, from, datagram, &mut self.reply);
        match handled {
            Handled::Dropped(_) => {
                assert!(self.reply.is_empty(), "a dropped datagram left a reply");
                return None;
            }
            Handled::Reply => {}
            Handled::Request(request) => {
                assert_eq!(request.from(), from);
                if input.u8() % 4 == 3 {
                    let data = serde_json::Value::String("d".repeat(usize::from(input.u16())));
                    self.endpoint.reject(request, ReasonCode(input.u16()), data, &mut self.reply);
                } else {
                    if request.replaces_existing() {
                        // A restarted insecure client: the driver drops the old connection
                        // before accepting the new one.
                        if let Some(at) = self.peers.iter().position(|p| p.from == from) {
                            let old = self.peers.remove(at);
                            self.endpoint.forget(now, old.record);
                        }
                    }
                    assert!(self.endpoint.peer_count() < MAX_PEERS, "a request offered while full");
                    let port = 40000 + u16::from(input.u8());
                    let peer = self.endpoint.accept(now, request, port, &mut self.reply);
                    assert_eq!((peer.addr, peer.port), (from, port));
                    assert_eq!(peer.cid().is_some(), self.secure);
                    let record = peer.record;
                    let conn =
                        Connection::accepted(ConnectionConfig::default(), channels(), now, peer);
                    self.peers.push(Peer { from, conn, events: Events::default(), record });
                }
            }
        }
        assert!(!self.reply.is_empty(), "an empty reply");
        assert!(self.reply.len() <= datagram.len(), "a reply larger than its cause");
        if let Ok(ZeroMessage::Retry(retry)) = ZeroMessage::decode(&self.reply) {
            self.clients[usize::from(from.port() % 4)].cookie = Some(retry.cookie);
        }
        Some(self.reply.clone())
    }

    /// A request whose fields come from the bytes: right or wrong transport, version, hash
    /// and mode, and for a secure one arbitrary Noise bytes behind a real cookie or none.
    fn built_request(&self, at: usize, input: &mut Input) -> Vec<u8> {
        let b = input.u8();
        let mode = if b & 8 == 0 {
            let cookie = match input.u8() % 3 {
                0 => None,
                1 => self.clients[at].cookie.clone(),
                _ => Some(input.body().to_vec()),
            };
            let noise = input.bool().then(|| input.body().to_vec());
            RequestMode::Secure { noise, cookie }
        } else {
            RequestMode::Insecure { seq: input.u16() }
        };
        let request = Request {
            transport_id: TRANSPORT_ID + u64::from(b & 1),
            transport_version: TRANSPORT_VERSION - u32::from((b >> 1) & 1),
            protocol_hash: PROTOCOL_HASH + u64::from((b >> 2) & 1),
            // Few ids, so that copies and restarts happen.
            id: u64::from(input.u8() % 4),
            mode,
        };
        let mut datagram = Vec::new();
        ZeroMessage::Request(request).encode(&mut datagram);
        datagram
    }

    /// The genuine client at `at`, made on first use.
    fn client(&mut self, at: usize, now: Instant) -> &mut Connection {
        let secure = self.secure != self.mismatched;
        let entropy = &mut self.entropy;
        self.clients[at].conn.get_or_insert_with(|| {
            let security = if secure {
                ClientSecurity::Secure(SecureClient {
                    listener_key: Some(listener_identity().public()),
                    ..SecureClient::default()
                })
            } else {
                ClientSecurity::Insecure
            };
            let params = ConnectParams {
                transport_id: TRANSPORT_ID,
                transport_version: TRANSPORT_VERSION,
                protocol_hash: PROTOCOL_HASH,
                security,
            };
            Connection::connect(ConnectionConfig::default(), channels(), params, entropy, now)
        })
    }

    /// The client at `from` sends what it has (or its last request again), possibly
    /// corrupted: requests to the listen port, packets to its peer's data port.
    fn client_sends(&mut self, now: Instant, from: SocketAddr, input: &mut Input) {
        let at = usize::from(from.port() % 4);
        let flip = input.bool().then(|| usize::from(input.u16()));
        self.client(at, now);
        let Some(client) = self.clients[at].conn.as_mut() else { return };
        let mut datagrams = Vec::new();
        for _ in 0..64 {
            if !client.poll_transmit(now, &mut self.buf) {
                break;
            }
            datagrams.push((client.data_port().is_some(), self.buf.clone()));
        }
        if datagrams.is_empty() && !self.clients[at].last_request.is_empty() {
            datagrams.push((false, self.clients[at].last_request.clone()));
        }
        for (to_data, mut datagram) in datagrams {
            if !to_data {
                self.clients[at].last_request.clone_from(&datagram);
            }
            if let Some(bit) = flip {
                flip_bit(&mut datagram, bit);
            }
            if to_data {
                let cid = sealed_cid(&datagram);
                for peer in self.peers.iter_mut().filter(|p| p.from == from) {
                    if cid.is_none() || peer.conn.cid() == cid {
                        peer.conn.handle_datagram(now, &datagram);
                    }
                }
            } else if let Some(reply) = self.listen(now, from, &datagram, input)
                && let Some(conn) = self.clients[at].conn.as_mut()
            {
                conn.handle_datagram(now, &reply);
            }
        }
    }

    /// Timers, transmissions (each peer's delivered to the client at its address), events.
    fn drive(&mut self, now: Instant) {
        let unproven = self
            .peers
            .iter()
            .filter(|p| p.events.connected == 0 && !p.conn.is_connected() && !p.conn.is_closed());
        self.endpoint.set_unproven(unproven.count());
        for peer in &mut self.peers {
            if peer.conn.poll_timeout().is_some_and(|t| t <= now) {
                peer.conn.handle_timeout(now);
            }
            let mut client = self.clients[usize::from(peer.from.port() % 4)].conn.as_mut();
            for _ in 0..10_000 {
                if !peer.conn.poll_transmit(now, &mut self.buf) {
                    break;
                }
                assert!(self.buf.len() <= MTU, "a datagram larger than the MTU");
                if let Some(client) = client.as_mut() {
                    client.handle_datagram(now, &self.buf);
                }
            }
            peer.events.drain(&mut peer.conn);
            while peer.conn.poll_message().is_some() {}
        }
        for client in self.clients.iter_mut().filter_map(|c| c.conn.as_mut()) {
            if client.poll_timeout().is_some_and(|t| t <= now) {
                client.handle_timeout(now);
            }
            while client.poll_event().is_some() {}
            while client.poll_message().is_some() {}
        }
        assert!(self.endpoint.peer_count() <= MAX_PEERS, "more peers than max_peers");
        assert_eq!(
            self.endpoint.peer_count(),
            self.peers.len(),
            "the listener counts other peers than were accepted and not forgotten"
        );
    }
}

/// What the applications can do.
impl Run {
    /// The application of the first peer at `from` closes it, aborts it or sends on it.
    fn peer_app(&mut self, now: Instant, from: SocketAddr, input: &mut Input) {
        let op = input.u8();
        let payload = Bytes::copy_from_slice(input.body());
        let Some(peer) = self.peers.iter_mut().find(|p| p.from == from) else { return };
        match op % 8 {
            0 => peer.conn.close(now, ReasonCode::CLOSED, serde_json::Value::Null),
            1 => {
                let mut goodbye = Vec::new();
                if peer.conn.abort(ReasonCode::CLOSED, &mut goodbye) {
                    assert!(goodbye.len() <= MTU, "a close larger than the MTU");
                }
            }
            _ => {
                let channel = if op & 8 == 0 { 0 } else { 5 };
                let channel = ChannelId::new(channel).expect("a small channel id is valid");
                let _ = peer.conn.send(channel, payload);
            }
        }
    }

    /// The driver drops the first peer at `from` and forgets it (sometimes twice, which must
    /// change nothing).
    fn forget(&mut self, now: Instant, from: SocketAddr, input: &mut Input) {
        let Some(at) = self.peers.iter().position(|p| p.from == from) else { return };
        let gone = self.peers.remove(at);
        self.endpoint.forget(now, gone.record);
        if input.bool() {
            self.endpoint.forget(now, gone.record);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let mut now = start();
    let mut run = Run::new(&mut input, now);
    while !input.is_empty() {
        now += input.delay();
        let from = addr(input.u8());
        match input.u8() % 9 {
            0 => {
                let body = input.body();
                run.listen(now, from, body, &mut input);
            }
            1 => {
                let datagram = run.built_request(usize::from(from.port() % 4), &mut input);
                run.listen(now, from, &datagram, &mut input);
            }
            2 => run.client_sends(now, from, &mut input),
            3 => {
                let body = input.body();
                for peer in run.peers.iter_mut().filter(|p| p.from == from) {
                    peer.conn.handle_datagram(now, body);
                }
            }
            4 => run.peer_app(now, from, &mut input),
            5 => run.forget(now, from, &mut input),
            6 => {
                let accepting = input.bool();
                run.endpoint.set_accepting(accepting);
            }
            7 => {
                // The client at this address restarts: a new attempt, new keys.
                run.clients[usize::from(from.port() % 4)].conn = None;
            }
            _ => {}
        }
        run.drive(now);
    }
});
