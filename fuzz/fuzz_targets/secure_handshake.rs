//! Feeds a whole secure connection driven by direct calls: a client `Connection` (pinned,
//! unpinned, or with an identity and an application payload), the listener's `Endpoint`
//! (either cookie policy, accepting or refusing) and the `Connection` it accepts, with three
//! queues of datagrams in flight (client → listen port, client → data port, listener and
//! accepted connection → client). The fuzzer picks which datagram is delivered, dropped,
//! duplicated, truncated or bit-flipped; injects arbitrary and sealed-looking datagrams (from
//! the client's address or another), forged replies carrying the attempt's id (what an
//! on-path attacker can write) and stateless resets; sends messages both ways; closes or
//! aborts either side; and moves time.
//!
//! Checks: nothing panics; no listener reply larger than its cause; the listener accepts at
//! most one peer for the client's one attempt; the accepted connection sends nothing before
//! the client proved itself, and a secure client connects only on the listener's own accept;
//! every message that arrives is byte for byte one the other side sent, on the same channel,
//! at most once, and reliable-ordered ones in the order sent (so a message arrives unchanged
//! or not at all); a side ends by a remote close only when the other closed, by a reset only
//! on a genuine one, and is rejected only by the listener or a reply forged with its id.
#![no_main]

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use stardust_fuzz::{Events, Input, client_addr, flip_bit, listener_identity, start};
use stardust_proto::crypto::{RESET_TOKEN_LEN, SeededEntropy, StaticKeypair};
use stardust_proto::sealed::{RESET_LEN, SEALED, sealed_cid};
use stardust_proto::zero::{
    Accepted, AcceptedBody, Rejected, RejectedBody, Retry, ZERO_MAX_SIZE, ZeroMessage,
};
use stardust_proto::{
    ChannelConfig, ChannelId, ChannelTable, ClientSecurity, CloseReason, ConnectParams, Connection,
    ConnectionConfig, CookiePolicy, Endpoint, EndpointConfig, EndpointSecurity, Handled, Ordering,
    ReasonCode, Reliability, SecureClient,
};

const TRANSPORT_ID: u64 = 0x5354_4152;
const TRANSPORT_VERSION: u32 = 2;
const PROTOCOL_HASH: u64 = 0x9b1c_0e55_d2a4_f7e0;
const DATA_PORT: u16 = 40001;
const MTU: usize = 1200;
/// Datagrams kept in flight per queue; older ones are lost, as on a congested path.
const IN_FLIGHT: usize = 128;

/// Channel 0: reliable ordered, 1: reliable unordered, 2: unreliable unordered.
const CHANNELS: usize = 3;

fn channel(n: u8) -> ChannelId {
    ChannelId::new(u32::from(n) % CHANNELS as u32).expect("a small channel id is valid")
}

fn channels() -> ChannelTable {
    let kinds = [
        (Reliability::Reliable, Ordering::Ordered),
        (Reliability::Reliable, Ordering::Unordered),
        (Reliability::Unreliable, Ordering::Unordered),
    ];
    let table = kinds
        .into_iter()
        .enumerate()
        .map(|(n, (r, o))| (channel(n as u8), ChannelConfig::new(r, o).with_max_size(4096)));
    ChannelTable::new(table).expect("three distinct channels make a valid table")
}

fn attacker_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 66], 6666))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Written by the client.
    Client,
    /// Written by the listen port.
    Listener,
    /// Written by an accepted connection.
    Server,
    /// Written by neither, or altered on the way.
    Forged,
}

struct Flight {
    bytes: Vec<u8>,
    origin: Origin,
}

/// What one side sent, by message number (the number is in the first bytes of the message).
#[derive(Default)]
struct Sent {
    messages: Vec<(ChannelId, Bytes)>,
    /// Numbers sent on the reliable-ordered channel, in order.
    ordered: Vec<u32>,
    /// Whether the application closed or aborted this side.
    closed: bool,
}

/// What one side received from one sender.
#[derive(Default)]
struct Seen {
    numbers: HashSet<u32>,
    ordered: usize,
}

struct Side {
    conn: Connection,
    events: Events,
    sent: Sent,
    /// Keyed by the sender's tag.
    seen: HashMap<u8, Seen>,
}

impl Side {
    fn new(conn: Connection) -> Side {
        Side { conn, events: Events::default(), sent: Sent::default(), seen: HashMap::new() }
    }

    /// Queues this side's next message (tagged `tag`, numbered) on `ch`; logs it if taken.
    fn send(&mut self, tag: u8, ch: ChannelId, len: usize, filler: u8) {
        let number = self.sent.messages.len() as u32;
        let mut payload = vec![filler; len.max(5)];
        payload[0] = tag;
        payload[1..5].copy_from_slice(&number.to_be_bytes());
        let payload = Bytes::from(payload);
        if self.conn.send(ch, payload.clone()).is_ok() {
            if ch == channel(0) {
                self.sent.ordered.push(number);
            }
            self.sent.messages.push((ch, payload));
        }
    }
}

/// Checks one message received from `sender` against what it sent.
fn check_message(seen: &mut HashMap<u8, Seen>, sender: &Sent, tag: u8, ch: ChannelId, m: &Bytes) {
    assert!(m.len() >= 5 && m[0] == tag, "a message no one sent arrived");
    let number = u32::from_be_bytes([m[1], m[2], m[3], m[4]]);
    let Some((sent_on, sent)) = sender.messages.get(number as usize) else {
        panic!("message {number} arrived but was never sent");
    };
    assert_eq!((*sent_on, sent), (ch, m), "message {number} arrived changed");
    let seen = seen.entry(tag).or_default();
    assert!(seen.numbers.insert(number), "message {number} arrived twice");
    if ch == channel(0) {
        assert_eq!(
            sender.ordered.get(seen.ordered),
            Some(&number),
            "reliable-ordered out of order"
        );
        seen.ordered += 1;
    }
}

/// What has been delivered that may legitimately settle or end the connection.
#[derive(Default)]
struct Proofs {
    listener_accept: bool,
    listener_reject: bool,
    client_packet: bool,
    reset: bool,
    forged_with_id: bool,
}

struct Run {
    client: Side,
    /// The accepted connections (one, unless the listener accepted the attempt twice).
    servers: Vec<Side>,
    endpoint: Endpoint,
    refuse: bool,
    request_id: u64,
    /// Peers the listener accepted for the client's attempt (a refused request records
    /// nothing, so its copies are offered again: only accepts count).
    accepted: u32,
    to_listen: Vec<Flight>,
    to_data: Vec<Flight>,
    to_client: Vec<Flight>,
    proofs: Proofs,
    buf: Vec<u8>,
    reply: Vec<u8>,
}

impl Run {
    fn new(input: &mut Input, now: Instant) -> Run {
        let flags = input.u8();
        let identity = listener_identity();
        let mut entropy = SeededEntropy::from_u64(0xC11E);
        let client = match flags % 3 {
            0 => SecureClient { listener_key: Some(identity.public()), ..SecureClient::default() },
            1 => SecureClient::default(),
            _ => SecureClient {
                identity: Some(StaticKeypair::generate(&mut entropy)),
                listener_key: Some(identity.public()),
                app_payload: input.body().to_vec(),
            },
        };
        let config = EndpointConfig {
            transport_id: TRANSPORT_ID,
            transport_version: TRANSPORT_VERSION,
            protocol_hash: PROTOCOL_HASH,
            max_peers: 4,
            accepting: true,
            cookies: if flags & 4 == 0 {
                CookiePolicy::Always
            } else {
                CookiePolicy::WhenBusy { unproven: 1 }
            },
        };
        let security = EndpointSecurity::Secure(identity);
        let endpoint =
            Endpoint::new(config, security, Box::new(SeededEntropy::from_u64(0xE4D)), now);
        let params = ConnectParams {
            transport_id: TRANSPORT_ID,
            transport_version: TRANSPORT_VERSION,
            protocol_hash: PROTOCOL_HASH,
            security: ClientSecurity::Secure(client),
        };
        let conn =
            Connection::connect(ConnectionConfig::default(), channels(), params, &mut entropy, now);
        Run {
            client: Side::new(conn),
            servers: Vec::new(),
            endpoint,
            refuse: flags & 8 != 0,
            request_id: 0,
            accepted: 0,
            to_listen: Vec::new(),
            to_data: Vec::new(),
            to_client: Vec::new(),
            proofs: Proofs::default(),
            buf: Vec::new(),
            reply: Vec::new(),
        }
    }

    fn queue(&mut self, to: u8) -> &mut Vec<Flight> {
        match to % 3 {
            0 => &mut self.to_listen,
            1 => &mut self.to_data,
            _ => &mut self.to_client,
        }
    }

    fn deliver(&mut self, now: Instant, to: u8, flight: Flight, from: SocketAddr) {
        match to % 3 {
            0 => self.deliver_to_listener(now, flight, from),
            1 => self.deliver_to_data_port(now, flight),
            _ => self.deliver_to_client(now, flight),
        }
    }

    fn deliver_to_listener(&mut self, now: Instant, flight: Flight, from: SocketAddr) {
        let datagram = flight.bytes;
        match self.endpoint.handle(now, from, &datagram, &mut self.reply) {
            Handled::Dropped(_) => {
                assert!(self.reply.is_empty(), "a dropped datagram left a reply");
                return;
            }
            Handled::Reply => {}
            Handled::Request(request) => {
                if self.refuse {
                    let data = serde_json::json!({ "why": "full house" });
                    self.endpoint.reject(request, ReasonCode::FULL, data, &mut self.reply);
                } else {
                    self.accepted += 1;
                    assert!(self.accepted <= 1, "the listener accepted twice for one attempt");
                    let peer = self.endpoint.accept(now, request, DATA_PORT, &mut self.reply);
                    let conn =
                        Connection::accepted(ConnectionConfig::default(), channels(), now, peer);
                    self.servers.push(Side::new(conn));
                }
            }
        }
        assert!(self.reply.len() <= datagram.len(), "a reply larger than its cause");
        assert!(self.endpoint.peer_count() <= 1, "more than one peer for one attempt");
        if from == client_addr() {
            let bytes = self.reply.clone();
            push(&mut self.to_client, Flight { bytes, origin: Origin::Listener });
        }
    }

    fn deliver_to_data_port(&mut self, now: Instant, flight: Flight) {
        if flight.origin == Origin::Client {
            self.proofs.client_packet = true;
        }
        // Sealed packets are routed by their connection id, as the UDP transport does.
        let cid = sealed_cid(&flight.bytes);
        let known = self.servers.iter().any(|s| cid.is_some() && s.conn.cid() == cid);
        for server in &mut self.servers {
            if !known || server.conn.cid() == cid {
                server.conn.handle_datagram(now, &flight.bytes);
            }
        }
    }

    fn deliver_to_client(&mut self, now: Instant, flight: Flight) {
        match (flight.origin, ZeroMessage::decode(&flight.bytes)) {
            (Origin::Listener, Ok(ZeroMessage::Accepted(_))) => self.proofs.listener_accept = true,
            (Origin::Listener, Ok(ZeroMessage::Rejected(_))) => self.proofs.listener_reject = true,
            (Origin::Forged, Ok(message)) => {
                let id = match &message {
                    ZeroMessage::Accepted(a) => Some(a.id),
                    ZeroMessage::Rejected(r) => r.id,
                    ZeroMessage::Retry(r) => Some(r.id),
                    ZeroMessage::Request(_) | ZeroMessage::Close(_) => None,
                };
                self.proofs.forged_with_id |= id == Some(self.request_id);
            }
            _ => {}
        }
        self.client.conn.handle_datagram(now, &flight.bytes);
    }

    /// Timers, then everything each side has to send, then events and messages.
    fn step(&mut self, now: Instant) {
        if self.client.conn.poll_timeout().is_some_and(|t| t <= now) {
            self.client.conn.handle_timeout(now);
        }
        for server in &mut self.servers {
            if server.conn.poll_timeout().is_some_and(|t| t <= now) {
                server.conn.handle_timeout(now);
            }
        }
        self.check_events();
        for _ in 0..10_000 {
            let connecting = self.client.conn.data_port().is_none();
            if !self.client.conn.poll_transmit(now, &mut self.buf) {
                break;
            }
            let bytes = self.buf.clone();
            if connecting {
                let Ok(ZeroMessage::Request(request)) = ZeroMessage::decode(&bytes) else {
                    panic!("something other than a request went out while connecting");
                };
                assert!(bytes.len() <= ZERO_MAX_SIZE, "a request larger than anyone reads");
                self.request_id = request.id;
                push(&mut self.to_listen, Flight { bytes, origin: Origin::Client });
            } else {
                assert!(bytes.len() <= MTU, "a datagram larger than the MTU");
                assert_eq!(sealed_cid(&bytes), self.client.conn.cid(), "sent in the clear");
                push(&mut self.to_data, Flight { bytes, origin: Origin::Client });
            }
        }
        for server in &mut self.servers {
            for _ in 0..10_000 {
                if !server.conn.poll_transmit(now, &mut self.buf) {
                    break;
                }
                assert!(server.events.connected > 0, "the listener's side sent before the proof");
                assert!(self.buf.len() <= MTU, "a datagram larger than the MTU");
                assert_eq!(sealed_cid(&self.buf), server.conn.cid(), "sent in the clear");
                let bytes = self.buf.clone();
                push(&mut self.to_client, Flight { bytes, origin: Origin::Server });
            }
        }
        self.check_events();
        self.check_messages();
        // What a driver tells the listener, for `CookiePolicy::WhenBusy`.
        let unproven =
            self.servers.iter().filter(|s| s.events.connected == 0 && !s.conn.is_closed());
        self.endpoint.set_unproven(unproven.count());
    }

    fn check_events(&mut self) {
        let any_server_closed = self.servers.iter().any(|s| s.sent.closed);
        let client = &mut self.client;
        client.events.drain(&mut client.conn);
        let p = &self.proofs;
        if client.events.connected > 0 {
            assert!(p.listener_accept, "the client connected without the listener's accept");
        }
        if client.events.rejected() {
            assert!(p.listener_reject || p.forged_with_id, "rejected, but no one rejected it");
        }
        match client.events.close_reason() {
            Some(CloseReason::Remote { .. }) => {
                assert!(any_server_closed, "the client was closed by someone without the keys");
            }
            Some(CloseReason::Reset) => assert!(p.reset, "the client was reset by a forgery"),
            Some(CloseReason::KeyMismatch { .. }) => {
                assert!(p.forged_with_id, "the listener's own key taken for another");
            }
            _ => {}
        }
        for server in &mut self.servers {
            server.events.drain(&mut server.conn);
            if server.events.connected > 0 {
                assert!(p.client_packet, "the listener's side proven without a client packet");
            }
            if let Some(CloseReason::Remote { .. }) = server.events.close_reason() {
                assert!(client.sent.closed, "the listener's side closed by a forgery");
            }
        }
    }

    fn check_messages(&mut self) {
        for server in &mut self.servers {
            while let Some((ch, m)) = server.conn.poll_message() {
                check_message(&mut server.seen, &self.client.sent, 0, ch, &m);
            }
        }
        while let Some((ch, m)) = self.client.conn.poll_message() {
            // A message names its sender in its first byte; only one accepted connection
            // shares the client's keys, but which one is the sealing's business, not ours.
            let sender =
                m.first().and_then(|&tag| self.servers.get(usize::from(tag.wrapping_sub(1))));
            let Some(sender) = sender else {
                panic!("a message from no accepted connection arrived: {m:?}");
            };
            check_message(&mut self.client.seen, &sender.sent, m[0], ch, &m);
        }
    }
}

fn server_tag(index: usize) -> u8 {
    1 + index as u8
}

fn push(queue: &mut Vec<Flight>, flight: Flight) {
    if queue.len() == IN_FLIGHT {
        queue.remove(0);
    }
    queue.push(flight);
}

/// What the fuzzer can make happen between two steps.
impl Run {
    /// Picks a datagram in flight: its queue's selector and its index.
    fn pick(&mut self, input: &mut Input) -> Option<(u8, usize)> {
        let to = input.u8();
        let at = input.u8();
        let len = self.queue(to).len();
        (len > 0).then(|| (to, usize::from(at) % len))
    }

    /// Delivers one datagram, delivers a copy and keeps it in flight (a duplicate), or
    /// loses it.
    fn deliver_one(&mut self, now: Instant, input: &mut Input) {
        let how = input.u8() % 4;
        let Some((to, at)) = self.pick(input) else { return };
        let queue = self.queue(to);
        let flight = match how {
            0 | 1 => queue.remove(at),
            2 => Flight { bytes: queue[at].bytes.clone(), origin: queue[at].origin },
            _ => {
                queue.remove(at);
                return;
            }
        };
        self.deliver(now, to, flight, client_addr());
    }

    /// Delivers every datagram of one queue in order, or loses them all (a burst).
    fn deliver_all(&mut self, now: Instant, input: &mut Input) {
        let (to, lose) = (input.u8(), input.bool());
        let flights = std::mem::take(self.queue(to));
        if !lose {
            for flight in flights {
                self.deliver(now, to, flight, client_addr());
            }
        }
    }

    /// Delivers one datagram corrupted: a bit flipped, or cut short.
    fn corrupt_one(&mut self, now: Instant, input: &mut Input) {
        let (cut, bit) = (input.bool(), usize::from(input.u16()));
        let Some((to, at)) = self.pick(input) else { return };
        let mut bytes = self.queue(to).remove(at).bytes;
        if cut {
            bytes.truncate(bit % bytes.len().max(1));
        } else {
            flip_bit(&mut bytes, bit);
        }
        self.deliver(now, to, Flight { bytes, origin: Origin::Forged }, client_addr());
    }

    /// Arbitrary bytes to any of the three, from the client's address (spoofed) or another.
    fn inject(&mut self, now: Instant, input: &mut Input) {
        let to = input.u8();
        let from = if input.bool() { client_addr() } else { attacker_addr() };
        let bytes = input.body().to_vec();
        self.deliver(now, to, Flight { bytes, origin: Origin::Forged }, from);
    }

    /// Sealed-looking bytes with the connection id in use, which get past routing to the
    /// authentication.
    fn inject_sealed(&mut self, now: Instant, input: &mut Input) {
        let to = 1 + input.u8() % 2;
        let cid = self.client.conn.cid().unwrap_or_default();
        let bytes = [&[SEALED][..], &cid.to_be_bytes(), input.body()].concat();
        self.deliver(now, to, Flight { bytes, origin: Origin::Forged }, client_addr());
    }

    /// A copy of a datagram in flight, replayed from another address. Only the listen port
    /// answers by address; the client takes replies from anywhere and the data port routes
    /// by connection id, so there a replayed copy is still what its writer wrote.
    fn replay_elsewhere(&mut self, now: Instant, input: &mut Input) {
        let Some((to, at)) = self.pick(input) else { return };
        let Flight { bytes, origin } = &self.queue(to)[at];
        let flight = Flight { bytes: bytes.clone(), origin: *origin };
        self.deliver(now, to, flight, attacker_addr());
    }

    /// The client's application sends a message (with its number in its first bytes).
    fn client_sends(&mut self, input: &mut Input) {
        let (ch, len, filler) = (channel(input.u8()), usize::from(input.u16() % 6000), input.u8());
        self.client.send(0, ch, len, filler);
    }

    /// The application of the newest accepted connection sends a message.
    fn server_sends(&mut self, input: &mut Input) {
        let (ch, len, filler) = (channel(input.u8()), usize::from(input.u16() % 6000), input.u8());
        let tag = server_tag(self.servers.len().saturating_sub(1));
        if let Some(server) = self.servers.last_mut() {
            server.send(tag, ch, len, filler);
        }
    }

    /// The application closes one side, gracefully or at once.
    fn app_closes(&mut self, now: Instant, input: &mut Input) {
        let (server_side, abort) = (input.bool(), input.bool());
        let code = ReasonCode(input.u16());
        let (side, to) = match self.servers.last_mut() {
            Some(server) if server_side => (server, 2),
            _ => (&mut self.client, 1),
        };
        side.sent.closed = true;
        if !abort {
            side.conn.close(now, code, serde_json::Value::Null);
        } else if side.conn.abort(code, &mut self.buf) {
            let origin = if to == 1 { Origin::Client } else { Origin::Server };
            let bytes = self.buf.clone();
            push(self.queue(to), Flight { bytes, origin });
        }
    }

    /// A reply forged with the attempt's id, which an on-path attacker can read off the
    /// request: a retry (with the listener's key or another), a plain rejection, an accept.
    fn forge_reply(&mut self, input: &mut Input) {
        let id = self.request_id;
        let message = match input.u8() % 3 {
            0 => {
                let key =
                    if input.bool() { listener_identity().public().0 } else { input.array32() };
                ZeroMessage::Retry(Retry { id, cookie: input.body().to_vec(), key })
            }
            1 => {
                let code = ReasonCode(input.u16());
                let body = RejectedBody::Plain { code, data: serde_json::Value::Null };
                ZeroMessage::Rejected(Rejected { id: Some(id), ack: None, body })
            }
            _ => {
                let body = AcceptedBody::Secure { noise: input.body().to_vec() };
                ZeroMessage::Accepted(Accepted { id, body })
            }
        };
        let mut bytes = Vec::new();
        message.encode(&mut bytes);
        push(&mut self.to_client, Flight { bytes, origin: Origin::Forged });
    }

    /// The listener's stateless reset of the client's connection, or one whose token is not
    /// quite it (the cid and filler are in the clear; only the token proves anything).
    fn reset(&mut self, input: &mut Input) {
        let (Some(cid), Some(key)) = (self.client.conn.cid(), self.endpoint.reset_key()) else {
            return;
        };
        let mut bytes = Vec::new();
        key.write_reset(cid, [input.u8(), input.u8()], &mut bytes);
        let origin = if input.bool() {
            let token_start = (RESET_LEN - RESET_TOKEN_LEN) * 8;
            let bit = token_start + usize::from(input.u8()) % (RESET_TOKEN_LEN * 8);
            flip_bit(&mut bytes, bit);
            Origin::Forged
        } else {
            self.proofs.reset = true;
            Origin::Listener
        };
        push(&mut self.to_client, Flight { bytes, origin });
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let mut now = start();
    let mut run = Run::new(&mut input, now);
    run.step(now);
    while !input.is_empty() {
        now += input.delay();
        match input.u8() % 12 {
            0 => run.deliver_one(now, &mut input),
            1 => run.deliver_all(now, &mut input),
            2 => run.corrupt_one(now, &mut input),
            3 => run.inject(now, &mut input),
            4 => run.inject_sealed(now, &mut input),
            5 => run.replay_elsewhere(now, &mut input),
            6 => run.client_sends(&mut input),
            7 => run.server_sends(&mut input),
            8 => run.app_closes(now, &mut input),
            9 => run.forge_reply(&mut input),
            10 => run.reset(&mut input),
            _ => {}
        }
        run.step(now);
    }
});
