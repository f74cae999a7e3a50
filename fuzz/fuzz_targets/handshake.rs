//! Feeds a connecting `Connection` (secure and pinned, secure and unpinned, secure with an
//! identity and an application payload, or insecure) arbitrary datagrams, forged replies that
//! carry its attempt's id (what an on-path attacker can write), sealed-looking packets and
//! stateless resets, reports that a request was refused (ICMP port unreachable, which anyone
//! can forge), and the genuine replies of a listener to its requests, delivered late,
//! repeatedly or corrupted, all at arbitrary times.
//!
//! Checks: nothing panics; until connected only requests go out, and afterwards a secure
//! client sends nothing but sealed packets of its connection; at most one `Connected`, one
//! terminal event and nothing after it; a secure client connects only on a genuine accept,
//! ends on a reset only for a genuine one, and is rejected or sees another key only when the
//! listener said so or a reply was forged with its attempt's id; refusals end an attempt only
//! when no reply with its id ever arrived, and never a connection.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use stardust_fuzz::{
    Events, Input, PROTOCOL_HASH, TRANSPORT_ID, TRANSPORT_VERSION, client_addr, flip_bit,
    listener_identity, start,
};
use stardust_proto::crypto::{RESET_TOKEN_LEN, SeededEntropy, StaticKeypair};
use stardust_proto::sealed::{RESET_LEN, SEALED, sealed_cid};
use stardust_proto::zero::{
    Accepted, AcceptedBody, Rejected, RejectedBody, Retry, ZeroMessage, is_zero_message,
};
use stardust_proto::{
    ChannelConfig, ChannelId, ChannelTable, ClientSecurity, CloseReason, ConnectParams, Connection,
    ConnectionConfig, CookiePolicy, Endpoint, EndpointConfig, EndpointSecurity, Handled, Ordering,
    ReasonCode, Reliability, SecureClient,
};

fn channels() -> ChannelTable {
    let reliable = ChannelConfig::new(Reliability::Reliable, Ordering::Ordered);
    let sequenced = ChannelConfig::new(Reliability::Unreliable, Ordering::Sequenced);
    let id = |n| ChannelId::new(n).expect("a small channel id is valid");
    ChannelTable::new([(id(0), reliable), (id(1), sequenced)])
        .expect("two distinct channels make a valid table")
}

/// What the run delivered to the client that may legitimately settle its attempt.
#[derive(Default)]
struct Delivered {
    genuine_accept: bool,
    genuine_reject: bool,
    genuine_reset: bool,
    /// A reply carrying the attempt's id that the listener did not write.
    forged_with_id: bool,
    /// A reply naming the attempt (genuine or forged) reached it while it was still
    /// connecting: from then on refusals must not end it.
    answered: bool,
}

struct Run {
    client: Connection,
    events: Events,
    endpoint: Endpoint,
    secure: bool,
    request_id: u64,
    /// The client's latest request, as it went out.
    last_request: Vec<u8>,
    /// Genuine listener replies not delivered yet (or kept to be delivered again).
    held: Vec<Vec<u8>>,
    delivered: Delivered,
    buf: Vec<u8>,
}

impl Run {
    fn new(input: &mut Input) -> Run {
        let now = start();
        let mut entropy = SeededEntropy::from_u64(0xC11E);
        let identity = listener_identity();
        let security = match input.u8() % 4 {
            0 => ClientSecurity::Insecure,
            1 => ClientSecurity::Secure(SecureClient {
                listener_key: Some(identity.public()),
                ..SecureClient::default()
            }),
            2 => ClientSecurity::Secure(SecureClient::default()),
            _ => ClientSecurity::Secure(SecureClient {
                identity: Some(StaticKeypair::generate(&mut entropy)),
                listener_key: Some(identity.public()),
                app_payload: input.body().to_vec(),
            }),
        };
        let secure = matches!(security, ClientSecurity::Secure(_));
        let flags = input.u8();
        // Mostly the listener the client expects; sometimes the other mode, another protocol
        // hash or a full house, so that every kind of refusal comes back.
        let oddity = flags % 8;
        let listener_secure = secure != (oddity == 5);
        let config = EndpointConfig {
            transport_id: TRANSPORT_ID,
            transport_version: TRANSPORT_VERSION,
            protocol_hash: PROTOCOL_HASH + u64::from(oddity == 6),
            max_peers: usize::from(oddity != 7),
            accepting: true,
            cookies: if flags & 8 == 0 {
                CookiePolicy::Always
            } else {
                CookiePolicy::WhenBusy { unproven: 1 }
            },
        };
        let endpoint_security = if listener_secure {
            EndpointSecurity::Secure(identity)
        } else {
            EndpointSecurity::Insecure
        };
        let endpoint =
            Endpoint::new(config, endpoint_security, Box::new(SeededEntropy::from_u64(0xE4D)), now);
        let params = ConnectParams {
            transport_id: TRANSPORT_ID,
            transport_version: TRANSPORT_VERSION,
            protocol_hash: PROTOCOL_HASH,
            security,
        };
        let client =
            Connection::connect(ConnectionConfig::default(), channels(), params, &mut entropy, now);
        let mut run = Run {
            client,
            events: Events::default(),
            endpoint,
            secure,
            request_id: 0,
            last_request: Vec::new(),
            held: Vec::new(),
            delivered: Delivered::default(),
            buf: Vec::new(),
        };
        // The first request is due at once: read the attempt's id off it, as an on-path
        // attacker would.
        run.transmit(now);
        run
    }

    /// Hands the client a datagram the listener did not write.
    fn inject(&mut self, now: Instant, datagram: &[u8]) {
        let names_attempt = self.names_attempt(datagram);
        self.delivered.forged_with_id |= names_attempt;
        self.delivered.answered |= names_attempt && self.client.is_connecting();
        self.client.handle_datagram(now, datagram);
    }

    /// Whether `datagram` is a reply carrying the attempt's id.
    fn names_attempt(&self, datagram: &[u8]) -> bool {
        let id = match ZeroMessage::decode(datagram) {
            Ok(ZeroMessage::Accepted(a)) => Some(a.id),
            Ok(ZeroMessage::Rejected(r)) => r.id,
            Ok(ZeroMessage::Retry(r)) => Some(r.id),
            _ => None,
        };
        id == Some(self.request_id)
    }

    /// Hands the client a listener reply, corrupted when `flip` is set.
    fn deliver_genuine(&mut self, now: Instant, mut reply: Vec<u8>, flip: Option<usize>) {
        if let Some(bit) = flip {
            flip_bit(&mut reply, bit);
            return self.inject(now, &reply);
        }
        self.delivered.answered |= self.names_attempt(&reply) && self.client.is_connecting();
        match ZeroMessage::decode(&reply) {
            Ok(ZeroMessage::Accepted(_)) => self.delivered.genuine_accept = true,
            Ok(ZeroMessage::Rejected(_)) => self.delivered.genuine_reject = true,
            _ => {}
        }
        self.client.handle_datagram(now, &reply);
    }

    /// Gives the listener the client's latest request (corrupted when `flip` is set) and
    /// holds or delivers its answer.
    fn ask_listener(&mut self, now: Instant, input: &mut Input) {
        let mut request = self.last_request.clone();
        let flip = input.u8();
        if flip & 1 == 1 {
            flip_bit(&mut request, usize::from(input.u16()));
        }
        let mut reply = Vec::new();
        match self.endpoint.handle(now, client_addr(), &request, &mut reply) {
            Handled::Dropped(_) => {
                assert!(reply.is_empty(), "a dropped datagram left a reply");
                return;
            }
            Handled::Reply => {}
            Handled::Request(incoming) => {
                if flip & 2 == 0 {
                    let port = 40000 + u16::from(input.u8());
                    let peer = self.endpoint.accept(now, incoming, port, &mut reply);
                    assert_eq!(peer.port, port);
                } else {
                    let data = serde_json::Value::String("x".repeat(usize::from(input.u16())));
                    self.endpoint.reject(incoming, ReasonCode(input.u16()), data, &mut reply);
                }
            }
        }
        assert!(reply.len() <= request.len(), "a reply larger than the request it answers");
        if flip & 4 == 0 {
            self.deliver_genuine(now, reply, None);
        } else if self.held.len() < 16 {
            self.held.push(reply);
        }
    }

    fn transmit(&mut self, now: Instant) {
        for _ in 0..10_000 {
            let connecting = self.client.data_port().is_none();
            if !self.client.poll_transmit(now, &mut self.buf) {
                break;
            }
            assert!(self.buf.len() <= 1472, "a datagram larger than anyone reads");
            if connecting {
                let Ok(ZeroMessage::Request(request)) = ZeroMessage::decode(&self.buf) else {
                    panic!("something other than a request went out while connecting");
                };
                self.request_id = request.id;
                self.last_request.clone_from(&self.buf);
            } else if self.secure {
                assert!(
                    sealed_cid(&self.buf).is_some() && sealed_cid(&self.buf) == self.client.cid(),
                    "a secure connection sent something other than its sealed packets"
                );
            } else if is_zero_message(&self.buf) {
                assert!(
                    matches!(ZeroMessage::decode(&self.buf), Ok(ZeroMessage::Close(_))),
                    "an insecure connection sent a zero message other than close"
                );
            }
        }
    }

    fn check_outcome(&mut self) {
        self.events.drain(&mut self.client);
        let d = &self.delivered;
        if self.secure && self.events.connected > 0 {
            assert!(d.genuine_accept, "a secure client connected without the listener's accept");
        }
        if self.events.rejected() {
            assert!(d.genuine_reject || d.forged_with_id, "rejected without a rejection");
        }
        match self.events.close_reason() {
            Some(CloseReason::Reset) => assert!(d.genuine_reset, "reset by a forged reset"),
            Some(CloseReason::KeyMismatch { .. }) => {
                assert!(d.forged_with_id, "the listener's own key reported as a mismatch");
            }
            Some(CloseReason::Remote { .. }) => {
                assert!(!self.secure, "a secure client closed by someone without its keys");
            }
            Some(CloseReason::NobodyListening) => {
                assert!(self.events.connected == 0, "a connection ended by ICMP refusals");
                assert!(!d.answered, "an answered attempt ended by ICMP refusals");
            }
            _ => {}
        }
        while self.client.poll_message().is_some() {}
    }
}

/// What the fuzzer can make happen between two steps.
impl Run {
    /// A reply with the attempt's id (or the one next to it, a stale attempt's) that the
    /// listener did not write: an accept of either mode.
    fn forge_accept(&mut self, now: Instant, input: &mut Input) {
        let id = self.request_id ^ u64::from(input.u8() & 1);
        let body = if input.bool() {
            AcceptedBody::Insecure { seq: input.u16(), port: input.u16() }
        } else {
            AcceptedBody::Secure { noise: input.body().to_vec() }
        };
        let mut d = Vec::new();
        ZeroMessage::Accepted(Accepted { id, body }).encode(&mut d);
        self.inject(now, &d);
    }

    /// A forged retry: the listener's key or another, any cookie.
    fn forge_retry(&mut self, now: Instant, input: &mut Input) {
        let id = self.request_id ^ u64::from(input.u8() & 1);
        let key = if input.bool() { listener_identity().public().0 } else { input.array32() };
        let cookie = input.body().to_vec();
        let mut d = Vec::new();
        ZeroMessage::Retry(Retry { id, cookie, key }).encode(&mut d);
        self.inject(now, &d);
    }

    /// A forged rejection, in the clear or "sealed" in bytes that are no Noise message.
    fn forge_reject(&mut self, now: Instant, input: &mut Input) {
        let id = Some(self.request_id ^ u64::from(input.u8() & 1));
        let body = if input.bool() {
            RejectedBody::Plain { code: ReasonCode(input.u16()), data: serde_json::Value::Null }
        } else {
            RejectedBody::Sealed { noise: input.body().to_vec() }
        };
        let mut d = Vec::new();
        ZeroMessage::Rejected(Rejected { id, ack: None, body }).encode(&mut d);
        self.inject(now, &d);
    }

    /// A listener reply held earlier, delivered once more (kept) or for the last time, as it
    /// is or corrupted.
    fn deliver_held(&mut self, now: Instant, input: &mut Input) {
        if self.held.is_empty() {
            return;
        }
        let at = usize::from(input.u8()) % self.held.len();
        let reply = if input.bool() { self.held[at].clone() } else { self.held.remove(at) };
        let flip = input.bool().then(|| usize::from(input.u16()));
        self.deliver_genuine(now, reply, flip);
    }

    /// Bytes shaped like a sealed packet of the client's connection (or of any cid), which
    /// reach the authentication.
    fn inject_sealed(&mut self, now: Instant, input: &mut Input) {
        let cid = self.client.cid().unwrap_or_else(|| input.u64());
        let datagram = [&[SEALED][..], &cid.to_be_bytes(), input.body()].concat();
        self.inject(now, &datagram);
    }

    /// The listener's stateless reset of the client's connection, or one whose token is not
    /// quite it (the cid and filler are in the clear; only the token proves anything).
    fn reset(&mut self, now: Instant, input: &mut Input) {
        let (Some(cid), Some(key)) = (self.client.cid(), self.endpoint.reset_key()) else {
            return;
        };
        let mut reset = Vec::new();
        key.write_reset(cid, [input.u8(), input.u8()], &mut reset);
        if input.bool() {
            let token_start = (RESET_LEN - RESET_TOKEN_LEN) * 8;
            flip_bit(&mut reset, token_start + usize::from(input.u8()) % (RESET_TOKEN_LEN * 8));
            self.inject(now, &reset);
        } else {
            self.delivered.genuine_reset = true;
            self.client.handle_datagram(now, &reset);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let mut run = Run::new(&mut input);
    let mut now = start();
    while !input.is_empty() {
        now += input.delay();
        match input.u8() % 10 {
            0 => {
                let body = input.body();
                run.inject(now, body);
            }
            1 => {
                let datagram = [&[0, 0, 0][..], input.body()].concat();
                run.inject(now, &datagram);
            }
            2 => run.forge_accept(now, &mut input),
            3 => run.forge_retry(now, &mut input),
            4 => run.forge_reject(now, &mut input),
            5 => run.ask_listener(now, &mut input),
            6 => run.deliver_held(now, &mut input),
            7 => run.inject_sealed(now, &mut input),
            8 => run.reset(now, &mut input),
            _ => run.client.handle_refused(now),
        }
        if run.client.poll_timeout().is_some_and(|t| t <= now) {
            run.client.handle_timeout(now);
        }
        run.transmit(now);
        run.check_outcome();
    }
});
