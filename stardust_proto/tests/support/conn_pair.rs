//! A client [`Connection`] and a listener ([`Endpoint`] + accepted [`Connection`]) wired through
//! the simulated network, driven in virtual time.
//!
//! The network has no ports, so each simulated datagram from the client carries one extra first
//! byte naming the listener port it was sent to: [`LISTEN`] or [`DATA`], exactly as a UDP
//! transport would route by destination port. Include with
//! `#[path = "support/netsim.rs"] mod netsim;` then `#[path = "support/conn_pair.rs"] mod conn_pair;`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use stardust_proto::crypto::{SeededEntropy, StaticKeypair};
use stardust_proto::{
    ChannelConfig, ChannelId, ChannelTable, ClientSecurity, CloseReason, ConnectParams, Connection,
    ConnectionConfig, ConnectionEvent, CookiePolicy, Endpoint, EndpointConfig, EndpointSecurity,
    Handled, Ordering, Reliability, SecureClient,
};

use crate::netsim::{NetSim, Side};

/// Tag of a client datagram addressed to the listen port.
pub const LISTEN: u8 = 0;
/// Tag of a client datagram addressed to the data port.
pub const DATA: u8 = 1;
/// The data port the listener hands out.
pub const DATA_PORT: u16 = 40001;
/// The transport identifier both sides use unless a test says otherwise.
pub const TRANSPORT_ID: u64 = 0x5354_4152_4455_5354;
/// The transport version both sides use unless a test says otherwise.
pub const TRANSPORT_VERSION: u32 = 2;
/// The protocol hash both sides use unless a test says otherwise.
pub const PROTOCOL_HASH: u64 = 0x9b1c_0e55_d2a4_f7e0;

/// A reliable-ordered channel, id 1, max 64 KiB.
pub const ORDERED: ChannelId = match ChannelId::new(1) {
    Some(id) => id,
    None => panic!(),
};

/// The channels of every test pair.
pub fn channels() -> ChannelTable {
    let ordered =
        ChannelConfig::new(Reliability::Reliable, Ordering::Ordered).with_max_size(64 * 1024);
    ChannelTable::new([(ORDERED, ordered)]).expect("valid channel table")
}

/// The listener config of every test pair unless a test changes it.
pub fn endpoint_config() -> EndpointConfig {
    EndpointConfig {
        transport_id: TRANSPORT_ID,
        transport_version: TRANSPORT_VERSION,
        protocol_hash: PROTOCOL_HASH,
        max_peers: 8,
        accepting: true,
        cookies: CookiePolicy::Always,
    }
}

/// The listener's static key pair in every secure pair.
pub fn listener_identity() -> StaticKeypair {
    StaticKeypair::generate(&mut SeededEntropy::from_u64(0x115_7E4E))
}

/// A secure client that pinned the listener's key: the default of every test pair.
pub fn secure_params() -> ConnectParams {
    let client = SecureClient {
        listener_key: Some(listener_identity().public()),
        ..SecureClient::default()
    };
    params(ClientSecurity::Secure(client))
}

/// An insecure client.
pub fn insecure_params() -> ConnectParams {
    params(ClientSecurity::Insecure)
}

/// A client presenting `security` with the default identity (transport, version, hash).
pub fn params(security: ClientSecurity) -> ConnectParams {
    ConnectParams {
        transport_id: TRANSPORT_ID,
        transport_version: TRANSPORT_VERSION,
        protocol_hash: PROTOCOL_HASH,
        security,
    }
}

/// A listener with `config`, secure with [`listener_identity`] unless `insecure`.
pub fn endpoint(config: EndpointConfig, insecure: bool, now: Instant) -> Endpoint {
    let security = if insecure {
        EndpointSecurity::Insecure
    } else {
        EndpointSecurity::Secure(listener_identity())
    };
    Endpoint::new(config, security, Box::new(SeededEntropy::from_u64(0xE4D)), now)
}

/// The client's address as the listener sees it.
pub fn client_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 50000))
}

/// The reason of the first `Closed` event among `events`, if any.
pub fn closed_reason(events: &[ConnectionEvent]) -> Option<&CloseReason> {
    events.iter().find_map(|e| match e {
        ConnectionEvent::Closed { reason } => Some(reason),
        _ => None,
    })
}

/// Both ends and the network between them.
pub struct Pair {
    pub net: NetSim,
    pub start: Instant,
    pub now: Instant,
    pub client: Connection,
    pub endpoint: Endpoint,
    pub server: Option<Connection>,
    pub server_config: ConnectionConfig,
    pub client_events: Vec<ConnectionEvent>,
    pub server_events: Vec<ConnectionEvent>,
    pub client_messages: Vec<(ChannelId, Bytes)>,
    pub server_messages: Vec<(ChannelId, Bytes)>,
    /// Accepted connections created, including replacements.
    pub accepts: u32,
    /// When false, nothing reaches or leaves the listener (a silent peer).
    pub server_alive: bool,
    /// When false, nothing reaches or leaves the client.
    pub client_alive: bool,
    buf: Vec<u8>,
    reply: Vec<u8>,
}

impl Pair {
    /// A pair whose client starts connecting at `start` with `client` (a secure listener
    /// for a secure client, an insecure one for an insecure client).
    pub fn new(
        net: NetSim,
        client_config: ConnectionConfig,
        client: ConnectParams,
        server_config: ConnectionConfig,
        endpoint_config: EndpointConfig,
    ) -> Pair {
        let start = Instant::now();
        let insecure = matches!(client.security, ClientSecurity::Insecure);
        let mut entropy = SeededEntropy::from_u64(0xC11E);
        Pair {
            net,
            start,
            now: start,
            client: Connection::connect(client_config, channels(), client, &mut entropy, start),
            endpoint: endpoint(endpoint_config, insecure, start),
            server: None,
            server_config,
            client_events: Vec::new(),
            server_events: Vec::new(),
            client_messages: Vec::new(),
            server_messages: Vec::new(),
            accepts: 0,
            server_alive: true,
            client_alive: true,
            buf: Vec::new(),
            reply: Vec::new(),
        }
    }

    /// The default pair: default configs, matching identities, a secure client that pinned
    /// the listener's key.
    pub fn default_over(net: NetSim) -> Pair {
        Pair::new(
            net,
            ConnectionConfig::default(),
            secure_params(),
            ConnectionConfig::default(),
            endpoint_config(),
        )
    }

    /// The default pair, insecure.
    pub fn insecure_over(net: NetSim) -> Pair {
        Pair::new(
            net,
            ConnectionConfig::default(),
            insecure_params(),
            ConnectionConfig::default(),
            endpoint_config(),
        )
    }

    /// Virtual time since the start.
    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// Whether the client has reported `Connected`.
    pub fn client_connected(&self) -> bool {
        self.client_events.iter().any(|e| matches!(e, ConnectionEvent::Connected { .. }))
    }

    /// Whether the listener's connection has reported `Connected`.
    pub fn server_connected(&self) -> bool {
        self.server_events.iter().any(|e| matches!(e, ConnectionEvent::Connected { .. }))
    }

    /// Runs until `done(self)` holds or `limit` of virtual time has passed; returns whether `done` held.
    /// Every loop is bounded: at most one step per virtual millisecond plus one per delivery.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Pair) -> bool) -> bool {
        let deadline = self.now + limit;
        let max_steps = limit.as_millis() as u64 * 4 + 1_000_000;
        for _ in 0..max_steps {
            self.step();
            if done(self) {
                return true;
            }
            if self.now >= deadline {
                return false;
            }
            let next = [
                self.net.next_delivery(),
                self.client.poll_timeout(),
                self.server.as_ref().and_then(Connection::poll_timeout),
                Some(deadline),
            ]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(deadline);
            // Never stand still: a timer already due was just handled.
            self.now = next.max(self.now + Duration::from_micros(100)).min(deadline);
        }
        false
    }

    /// One round at `now`: deliveries, timers, transmissions, events and messages.
    pub fn step(&mut self) {
        let now = self.now;
        while let Some((to, bytes)) = self.net.pop_due(now) {
            match to {
                Side::A if self.client_alive => {
                    self.client.handle_datagram(now, &bytes);
                }
                Side::B if self.server_alive => self.deliver_to_listener(&bytes),
                _ => {}
            }
        }
        if self.client.poll_timeout().is_some_and(|t| t <= now) {
            self.client.handle_timeout(now);
        }
        if let Some(server) = self.server.as_mut()
            && server.poll_timeout().is_some_and(|t| t <= now)
        {
            server.handle_timeout(now);
        }
        self.transmit();
        while let Some(event) = self.client.poll_event() {
            self.client_events.push(event);
        }
        while let Some(message) = self.client.poll_message() {
            self.client_messages.push(message);
        }
        if let Some(server) = self.server.as_mut() {
            while let Some(event) = server.poll_event() {
                self.server_events.push(event);
            }
            while let Some(message) = server.poll_message() {
                self.server_messages.push(message);
            }
        }
    }

    fn transmit(&mut self) {
        let now = self.now;
        // Bounded: a connection has at most a window's worth of datagrams due at once.
        for _ in 0..100_000 {
            if !self.client.poll_transmit(now, &mut self.buf) {
                break;
            }
            let port = if self.client.data_port().is_some() { DATA } else { LISTEN };
            let mut tagged = Vec::with_capacity(self.buf.len() + 1);
            tagged.push(port);
            tagged.extend_from_slice(&self.buf);
            if self.client_alive {
                self.net.send(Side::A, now, &tagged);
            }
        }
        if let Some(server) = self.server.as_mut() {
            for _ in 0..100_000 {
                if !server.poll_transmit(now, &mut self.buf) {
                    break;
                }
                if self.server_alive {
                    self.net.send(Side::B, now, &self.buf);
                }
            }
        }
    }

    fn deliver_to_listener(&mut self, tagged: &[u8]) {
        let now = self.now;
        let Some((&port, datagram)) = tagged.split_first() else { return };
        if port == DATA {
            if let Some(server) = self.server.as_mut() {
                server.handle_datagram(now, datagram);
            }
            return;
        }
        match self.endpoint.handle(now, client_addr(), datagram, &mut self.reply) {
            Handled::Dropped(_) => {}
            Handled::Reply => self.net.send(Side::B, now, &self.reply),
            Handled::Request(request) => {
                let peer = self.endpoint.accept(now, request, DATA_PORT, &mut self.reply);
                self.net.send(Side::B, now, &self.reply);
                self.server =
                    Some(Connection::accepted(self.server_config.clone(), channels(), now, peer));
                self.accepts += 1;
            }
        }
    }
}

/// Runs the handshake between `client` and `endpoint` by direct calls at `now` (no network),
/// the client at `from`: every request the client sends goes to the endpoint and every reply
/// back, until the endpoint offers a request to accept (returned) or the client has nothing
/// more to send. Bounded.
pub fn exchange(
    endpoint: &mut Endpoint,
    client: &mut Connection,
    now: Instant,
    from: SocketAddr,
) -> Option<stardust_proto::ConnectRequest> {
    let (mut datagram, mut reply) = (Vec::new(), Vec::new());
    for _ in 0..8 {
        if !client.poll_transmit(now, &mut datagram) {
            return None;
        }
        match endpoint.handle(now, from, &datagram, &mut reply) {
            Handled::Request(request) => return Some(request),
            Handled::Reply => {
                assert!(reply.len() <= datagram.len(), "a reply larger than its request");
                client.handle_datagram(now, &reply);
            }
            Handled::Dropped(_) => return None,
        }
    }
    None
}

/// A client and the listener's side of its connection, established by direct calls at `now`
/// (the listener's side proven by the client's first packet), with the endpoint that
/// accepted it.
pub fn connected(client: ConnectParams, now: Instant) -> (Connection, Connection, Endpoint) {
    let insecure = matches!(client.security, ClientSecurity::Insecure);
    let mut entropy = SeededEntropy::from_u64(0xC11E);
    let mut conn =
        Connection::connect(ConnectionConfig::default(), channels(), client, &mut entropy, now);
    let mut endpoint = endpoint(endpoint_config(), insecure, now);
    let request =
        exchange(&mut endpoint, &mut conn, now, client_addr()).expect("a request to accept");
    let mut reply = Vec::new();
    let peer = endpoint.accept(now, request, DATA_PORT, &mut reply);
    let mut server = Connection::accepted(ConnectionConfig::default(), channels(), now, peer);
    conn.handle_datagram(now, &reply);
    let mut datagram = Vec::new();
    while conn.poll_transmit(now, &mut datagram) {
        server.handle_datagram(now, &datagram);
    }
    assert!(conn.is_connected() && server.is_connected(), "the direct handshake did not finish");
    (conn, server, endpoint)
}
