//! What the secure handshake costs, in the protocol engine alone: no sockets, no Bevy.
//!
//! Run with `cargo run --release -p stardust_bench --bin handshake_bench`
//! (`-- --clients N --runs N` changes the sizes; defaults 2,000 clients per round and 1,000
//! runs per row).
//!
//! 1. **Handshakes per second one core completes, listener side**, the cost of "cookie + DH".
//!    N secure clients, each with its own identity and the listener's key pinned, from
//!    distinct source addresses (`SocketAddr` values only: nothing is sent), are prepared
//!    untimed. One thread times the listener's two passes: **A**, every first request
//!    (answered with a `retry`: a MAC, no Diffie-Hellman), and **C**, every request with its
//!    cookie (Noise message 1 read: two DH) and its `accept` (message 2: a key generation and
//!    two DH). Between them each client takes its retry, untimed. Wall and thread-CPU time are
//!    both printed. Baselines: the same N IK handshakes done with bare `snow` (the listener's
//!    share: build, read message 1, write message 2, split), and one X25519 DH. Three rounds,
//!    each Stardust's batch then its baselines', so both share the machine's moods; each
//!    figure is its best round (on a shared machine noise only adds). As info: what proving
//!    costs the listener (the accepted `Connection` and the client's first sealed packet), and
//!    what a handshake costs the client.
//! 2. **Connect time under loss, simulated**: a client and a listener joined by a link that
//!    drops each datagram independently with probability 0, 20 % or 40 %, each way, and
//!    delivers each one it keeps after a fixed one-way delay of 25 ms. Time is virtual and
//!    event-driven (the clock jumps to the next timer or arrival; nothing sleeps), so the
//!    figures are exact and repeatable. Three modes: insecure (the version-1 flow, one round
//!    trip; the baseline), secure with cookies when busy (not busy here: one round trip),
//!    secure with cookies always (the default: request, retry, request with cookie, accepted).
//!    Per run: when the client reports `Connected`, and when the listener's side does
//!    (insecure: at accept; secure: when the client's first sealed packet authenticates). A
//!    side not connected within the 15 s handshake timeout has failed. Clients are anonymous
//!    (a fresh key per attempt), the listener's key pinned.

use std::collections::VecDeque;
use std::hint::black_box;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use snow::HandshakeState;
use snow::params::DHChoice;
use snow::resolvers::{CryptoResolver, DefaultResolver};
use stardust_proto::crypto::{
    Entropy, NOISE_PATTERN, PublicKey, SeededEntropy, SeededResolver, StaticKeypair,
};
use stardust_proto::{
    AcceptedPeer, ChannelConfig, ChannelId, ChannelTable, ClientSecurity, ConnectParams,
    Connection, ConnectionConfig, ConnectionEvent, CookiePolicy, Endpoint, EndpointConfig,
    EndpointSecurity, Handled, Ordering, Received, Reliability, SecureClient,
};

/// FNV-1a 64 of `stardust-udp`, the UDP transport's identifier.
const TRANSPORT_ID: u64 = 0x5173_04c8_90e3_9087;
const VERSION: u32 = 2;
const PROTOCOL_HASH: u64 = 0x9b1c_0e55_d2a4_f7e0;
const DATA_PORT: u16 = 40001;
const LISTENER_PRIVATE: [u8; 32] = [0x11; 32];

/// The handshake timeout of both sides (Stardust's default), after which a side has failed.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);
/// One-way delay of every datagram of the simulated link.
const ONE_WAY: Duration = Duration::from_millis(25);
/// A simulated run stops here whatever happened (the listener's side may still be waiting for
/// proof until 15 s after its accept).
const RUN_LIMIT: Duration = Duration::from_secs(32);
/// The smallest step of the virtual clock, so that a timer already due cannot stall it.
const MIN_STEP: Duration = Duration::from_micros(100);
/// Bounds of the simulation loops.
const MAX_STEPS: usize = 100_000;
const MAX_BURST: usize = 256;
/// The shortest pass whose thread-CPU time is printed (see [`timed`]).
const MIN_CPU_PASS: Duration = Duration::from_millis(50);
/// Pass A is this many passes over the same N first requests: answering one is stateless,
/// so each pass does the same work, and together they run long enough for the CPU clock.
const RETRY_PASSES: u32 = 16;

/// CPU time this thread has run, from Linux's `/proc/thread-self/schedstat` (nanoseconds on
/// CPU). On a shared machine it measures the per-core cost even when other processes steal
/// the CPU; `None` elsewhere.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Wall-clock and thread-CPU time of one timed pass.
#[derive(Debug, Clone, Copy)]
struct Cost {
    wall: Duration,
    cpu: Option<Duration>,
}

impl Cost {
    fn plus(self, other: Cost) -> Cost {
        Cost { wall: self.wall + other.wall, cpu: self.cpu.zip(other.cpu).map(|(a, b)| a + b) }
    }

    /// The cost of one of `passes` equal passes.
    fn divided(self, passes: u32) -> Cost {
        let passes = passes.max(1);
        Cost { wall: self.wall / passes, cpu: self.cpu.map(|c| c / passes) }
    }

    /// Microseconds per item, wall and CPU.
    fn micros_each(self, n: usize) -> (f64, Option<f64>) {
        let each = |d: Duration| d.as_secs_f64() * 1e6 / n.max(1) as f64;
        (each(self.wall), self.cpu.map(each))
    }

    /// Items per second, wall and CPU.
    fn rate(self, n: usize) -> (f64, Option<f64>) {
        let rate = |d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
        (rate(self.wall), self.cpu.map(rate))
    }
}

/// Runs `f` once and measures it. The thread's CPU clock advances only at the kernel's tick
/// (1 to 10 ms), so a pass shorter than [`MIN_CPU_PASS`] has no CPU figure.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Cost) {
    let cpu = cpu_time();
    let clock = Instant::now();
    let out = f();
    let wall = clock.elapsed();
    let cpu = cpu.zip(cpu_time()).map(|(start, end)| end.saturating_sub(start));
    (out, Cost { wall, cpu: cpu.filter(|_| wall >= MIN_CPU_PASS) })
}

fn channels() -> ChannelTable {
    let id = ChannelId::new(1).expect("valid id");
    ChannelTable::new([(id, ChannelConfig::new(Reliability::Reliable, Ordering::Ordered))])
        .expect("valid channel table")
}

fn endpoint_config(cookies: CookiePolicy, max_peers: usize) -> EndpointConfig {
    EndpointConfig {
        transport_id: TRANSPORT_ID,
        transport_version: VERSION,
        protocol_hash: PROTOCOL_HASH,
        max_peers,
        accepting: true,
        cookies,
    }
}

fn params(security: ClientSecurity) -> ConnectParams {
    ConnectParams {
        transport_id: TRANSPORT_ID,
        transport_version: VERSION,
        protocol_hash: PROTOCOL_HASH,
        security,
    }
}

fn pinned(identity: Option<StaticKeypair>, listener: PublicKey) -> ConnectParams {
    let client = SecureClient { identity, listener_key: Some(listener), app_payload: Vec::new() };
    params(ClientSecurity::Secure(client))
}

/// The `i`-th client's address: 10.x.y.z, a port of its own.
fn client_addr(i: usize) -> SocketAddr {
    let [_, x, y, z] = (i as u32).to_be_bytes();
    SocketAddr::from((Ipv4Addr::new(10, x, y, z), 1024 + (i % 60_000) as u16))
}

// ---------------------------------------------------------------------------------------------
// 1. Handshakes per second, listener side.
// ---------------------------------------------------------------------------------------------

/// What one batch of N in-memory handshakes cost, and how many got through each step.
struct ListenerRun {
    /// Pass A: every first request, answered with a retry.
    retry: Cost,
    /// Pass C: every request with its cookie read (message 1) and accepted (message 2).
    handshake: Cost,
    /// Info: the accepted connections built and proven by the clients' first packets.
    prove: Cost,
    /// Info: the clients' side (message 1 written at connect, message 2 read).
    client: Cost,
    retries: usize,
    accepted: usize,
    clients_connected: usize,
    proven: usize,
}

/// Every client's next datagram at `now` into its buffer (left empty if it has none).
fn transmit_all(clients: &mut [Connection], now: Instant, out: &mut [Vec<u8>]) {
    for (client, buf) in clients.iter_mut().zip(out) {
        if !client.poll_transmit(now, buf) {
            buf.clear();
        }
    }
}

/// N clients and one listener in memory, all at one instant (a cookie lives 30 to 60 s, so
/// one instant is as good as the few milliseconds a real exchange takes).
struct Batch {
    now: Instant,
    endpoint: Endpoint,
    addrs: Vec<SocketAddr>,
    clients: Vec<Connection>,
    /// Each client's latest datagram.
    datagrams: Vec<Vec<u8>>,
    /// The listener's latest answer to each client.
    replies: Vec<Vec<u8>>,
    config: ConnectionConfig,
    table: ChannelTable,
}

impl Batch {
    /// A listener and `n` clients with identities of their own, each first request ready. The
    /// clients' start is timed (info): a pinned client writes Noise message 1 at once.
    fn start(n: usize) -> (Batch, Cost) {
        let now = Instant::now();
        let listener = StaticKeypair::from_private(LISTENER_PRIVATE);
        let config = endpoint_config(CookiePolicy::Always, n + 16);
        let security = EndpointSecurity::Secure(listener.clone());
        let endpoint = Endpoint::new(config, security, Box::new(SeededEntropy::from_u64(7)), now);
        let mut entropy = SeededEntropy::from_u64(0xC11E);
        let connect: Vec<ConnectParams> = (0..n)
            .map(|_| pinned(Some(StaticKeypair::generate(&mut entropy)), listener.public()))
            .collect();
        let (config, table) = (ConnectionConfig::default(), channels());
        let (clients, cost) = timed(|| {
            let start =
                |p| Connection::connect(config.clone(), table.clone(), p, &mut entropy, now);
            connect.into_iter().map(start).collect::<Vec<_>>()
        });
        let mut batch = Batch {
            now,
            endpoint,
            addrs: (0..n).map(client_addr).collect(),
            clients,
            datagrams: vec![Vec::with_capacity(1500); n],
            replies: vec![Vec::with_capacity(512); n],
            config,
            table,
        };
        transmit_all(&mut batch.clients, now, &mut batch.datagrams);
        (batch, cost)
    }

    /// Pass A: each first request gets a retry (a cookie MAC; nothing kept, no DH). Stateless,
    /// so repeated [`RETRY_PASSES`] times for the CPU clock; every pass writes the same
    /// retries. Returns how many were answered with a reply, and the cost of one pass.
    fn answer_first_requests(&mut self) -> (usize, Cost) {
        let now = self.now;
        let (retries, cost) = timed(|| {
            let mut retries = 0;
            for _ in 0..RETRY_PASSES {
                retries = 0;
                let asked = self.addrs.iter().zip(&self.datagrams).zip(&mut self.replies);
                for ((addr, request), reply) in asked {
                    let handled = self.endpoint.handle(now, *addr, request, reply);
                    retries += usize::from(matches!(handled, Handled::Reply));
                }
            }
            retries
        });
        (retries, cost.divided(RETRY_PASSES))
    }

    /// Untimed: each client takes the listener's answer and sends what comes next.
    fn clients_answer(&mut self) {
        for (client, reply) in self.clients.iter_mut().zip(&self.replies) {
            client.handle_datagram(self.now, reply);
        }
        transmit_all(&mut self.clients, self.now, &mut self.datagrams);
    }

    /// Pass C: each request with its cookie is read (Noise message 1) and accepted (message
    /// 2). Returns each accepted client's index and what its connection needs.
    fn accept_requests(&mut self) -> (Vec<(usize, AcceptedPeer)>, Cost) {
        let now = self.now;
        let mut scratch = Vec::with_capacity(1500);
        timed(|| {
            let mut peers = Vec::with_capacity(self.clients.len());
            let asked = self.addrs.iter().zip(&self.datagrams).zip(&mut self.replies);
            for (i, ((addr, request), accept)) in asked.enumerate() {
                if let Handled::Request(r) = self.endpoint.handle(now, *addr, request, &mut scratch)
                {
                    peers.push((i, self.endpoint.accept(now, r, DATA_PORT, accept)));
                } else {
                    accept.clear();
                }
            }
            peers
        })
    }

    /// The clients read their accepts (info: Noise message 2, keys split); how many connected.
    fn clients_read_accepts(&mut self) -> (usize, Cost) {
        timed(|| {
            let mut connected = 0;
            for (client, accept) in self.clients.iter_mut().zip(&self.replies) {
                client.handle_datagram(self.now, accept);
                connected += usize::from(client.is_connected());
            }
            connected
        })
    }

    /// Info: the listener builds each accepted connection and opens the client's first sealed
    /// packet, which proves it. Returns how many were proven.
    fn prove(&mut self, peers: Vec<(usize, AcceptedPeer)>) -> (usize, Cost) {
        transmit_all(&mut self.clients, self.now, &mut self.datagrams);
        let mut servers = Vec::with_capacity(peers.len());
        let (proven, cost) = timed(|| {
            let mut proven = 0;
            for (i, peer) in peers {
                let config = self.config.clone();
                let mut server = Connection::accepted(config, self.table.clone(), self.now, peer);
                let opened = server.handle_datagram(self.now, &self.datagrams[i]);
                let authenticated = matches!(opened, Received::Authenticated { .. });
                proven += usize::from(authenticated && server.is_connected());
                servers.push(server);
            }
            proven
        });
        // Dropped outside the timed pass.
        black_box(&servers);
        (proven, cost)
    }
}

/// One batch of `n` handshakes, every step counted.
fn listener_handshakes(n: usize) -> ListenerRun {
    let (mut batch, connect) = Batch::start(n);
    let (retries, retry) = batch.answer_first_requests();
    batch.clients_answer();
    let (peers, handshake) = batch.accept_requests();
    let accepted = peers.len();
    let (clients_connected, read) = batch.clients_read_accepts();
    let (proven, prove) = batch.prove(peers);
    let client = connect.plus(read);
    ListenerRun { retry, handshake, prove, client, retries, accepted, clients_connected, proven }
}

// ---------------------------------------------------------------------------------------------
// Baselines: bare snow, and one X25519 DH.
// ---------------------------------------------------------------------------------------------

fn snow_builder(seed: [u8; 32]) -> Result<snow::Builder<'static>, snow::Error> {
    Ok(snow::Builder::with_resolver(NOISE_PATTERN.parse()?, Box::new(SeededResolver::new(seed))))
}

/// The payloads Stardust's handshake carries, at their real sizes.
const HELLO: &[u8] = br#"{"anonymous":false}"#;
const ACCEPT: &[u8] =
    br#"{"port":40001,"cid":12345678901234567890,"reset":"AAAAAAAAAAAAAAAAAAAAAA=="}"#;

/// What N bare-snow IK handshakes cost each side.
struct SnowRun {
    initiator: Cost,
    responder: Cost,
    completed: usize,
}

/// The initiator's first turn: build, write message 1 into `m1`.
fn snow_write_first(
    seed: [u8; 32],
    private: &[u8; 32],
    listener: &PublicKey,
    prologue: &[u8],
    m1: &mut Vec<u8>,
) -> Result<HandshakeState, snow::Error> {
    let mut state = snow_builder(seed)?
        .local_private_key(private)?
        .remote_public_key(listener.as_bytes())?
        .prologue(prologue)?
        .build_initiator()?;
    m1.resize(256, 0);
    let len = state.write_message(HELLO, m1)?;
    m1.truncate(len);
    Ok(state)
}

/// The responder's whole share: build, read message 1, write message 2 into `m2`, split.
fn snow_respond(
    seed: [u8; 32],
    prologue: &[u8],
    m1: &[u8],
    m2: &mut Vec<u8>,
) -> Result<([u8; 32], [u8; 32]), snow::Error> {
    let mut state = snow_builder(seed)?
        .local_private_key(&LISTENER_PRIVATE)?
        .prologue(prologue)?
        .build_responder()?;
    let mut payload = [0u8; 256];
    state.read_message(m1, &mut payload)?;
    m2.resize(256, 0);
    let len = state.write_message(ACCEPT, m2)?;
    m2.truncate(len);
    Ok(state.dangerously_get_raw_split())
}

/// The initiator's second turn: read message 2, split.
fn snow_read_second(state: &mut HandshakeState, m2: &[u8]) -> bool {
    let mut payload = [0u8; 256];
    let read = state.read_message(m2, &mut payload).is_ok_and(|len| &payload[..len] == ACCEPT);
    read && black_box(state.dangerously_get_raw_split()).0 != [0; 32]
}

fn snow_handshakes(n: usize) -> SnowRun {
    let prologue = stardust_proto::crypto::prologue(TRANSPORT_ID, VERSION, PROTOCOL_HASH, 1);
    let listener = StaticKeypair::from_private(LISTENER_PRIVATE).public();
    let mut entropy = SeededEntropy::from_u64(0x5EED);
    let privates: Vec<[u8; 32]> = (0..n).map(|_| entropy.bytes32()).collect();
    let mut m1s = vec![Vec::with_capacity(256); n];
    let mut m2s = vec![Vec::with_capacity(256); n];

    let (initiators, write_first) = timed(|| {
        let first =
            |(private, m1)| snow_write_first(entropy.bytes32(), private, &listener, &prologue, m1);
        privates.iter().zip(&mut m1s).map(first).collect::<Vec<_>>()
    });
    let (_, responder) = timed(|| {
        let mut answered = 0;
        for (m1, m2) in m1s.iter().zip(&mut m2s) {
            answered +=
                usize::from(black_box(snow_respond(entropy.bytes32(), &prologue, m1, m2)).is_ok());
        }
        answered
    });
    let (completed, read_second) = timed(|| {
        let mut completed = 0;
        for (state, m2) in initiators.into_iter().zip(&m2s) {
            completed += usize::from(state.is_ok_and(|mut s| snow_read_second(&mut s, m2)));
        }
        completed
    });
    SnowRun { initiator: write_first.plus(read_second), responder, completed }
}

/// `n` X25519 Diffie-Hellman operations through snow's resolver: (cost, successes).
fn dh_baseline(n: usize) -> (Cost, usize) {
    let mut dh = DefaultResolver.resolve_dh(&DHChoice::Curve25519).expect("snow's X25519");
    dh.set(&LISTENER_PRIVATE);
    let peer = StaticKeypair::from_private([0x22; 32]).public();
    let (done, cost) = timed(|| {
        let mut out = [0u8; 32];
        let mut done = 0;
        for _ in 0..n {
            done += usize::from(dh.dh(black_box(peer.as_bytes()), &mut out).is_ok());
            black_box(&out);
        }
        done
    });
    (cost, done)
}

// ---------------------------------------------------------------------------------------------
// 2. Connect time under loss, simulated.
// ---------------------------------------------------------------------------------------------

/// How the client and the listener connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// No cookie, no Noise: the version-1 flow, one round trip.
    Insecure,
    /// Secure, cookies only when busy (64 unproven peers; never reached here): one round trip.
    WhenBusy,
    /// Secure, cookies always (the default): two round trips.
    Always,
}

impl Mode {
    const ALL: [Mode; 3] = [Mode::Insecure, Mode::WhenBusy, Mode::Always];

    fn label(self) -> &'static str {
        match self {
            Mode::Insecure => "insecure (v1 flow)",
            Mode::WhenBusy => "secure, cookies when busy",
            Mode::Always => "secure, cookies always",
        }
    }

    fn endpoint(self, identity: &StaticKeypair, seed: u64, now: Instant) -> Endpoint {
        let (security, cookies) = match self {
            Mode::Insecure => (EndpointSecurity::Insecure, CookiePolicy::Always),
            Mode::WhenBusy => (
                EndpointSecurity::Secure(identity.clone()),
                CookiePolicy::WhenBusy { unproven: 64 },
            ),
            Mode::Always => (EndpointSecurity::Secure(identity.clone()), CookiePolicy::Always),
        };
        let entropy = Box::new(SeededEntropy::from_u64(seed));
        Endpoint::new(endpoint_config(cookies, 1024), security, entropy, now)
    }

    fn params(self, listener: PublicKey) -> ConnectParams {
        match self {
            Mode::Insecure => params(ClientSecurity::Insecure),
            Mode::WhenBusy | Mode::Always => pinned(None, listener),
        }
    }
}

/// Where a datagram in flight goes: the listener's listen port, its data port, or the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dest {
    Listen,
    Data,
    Client,
}

/// The simulated link: a fixed one-way delay, and independent loss in both directions from a
/// seeded xorshift64* generator. With a fixed delay datagrams arrive in the order sent.
struct Link {
    rng: u64,
    loss: f64,
    in_flight: VecDeque<(Instant, Dest, Vec<u8>)>,
}

impl Link {
    fn new(seed: u64, loss: f64) -> Link {
        // splitmix64 of the seed: a nonzero, well-mixed xorshift state.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Link { rng: (z ^ (z >> 31)) | 1, loss, in_flight: VecDeque::new() }
    }

    fn lost(&mut self) -> bool {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let x = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        ((x >> 11) as f64 / (1u64 << 53) as f64) < self.loss
    }

    fn send(&mut self, now: Instant, to: Dest, bytes: &[u8]) {
        if !self.lost() {
            self.in_flight.push_back((now + ONE_WAY, to, bytes.to_vec()));
        }
    }

    fn next_arrival(&self) -> Option<Instant> {
        self.in_flight.front().map(|(at, _, _)| *at)
    }

    fn pop_due(&mut self, now: Instant) -> Option<(Dest, Vec<u8>)> {
        if self.next_arrival()? > now {
            return None;
        }
        self.in_flight.pop_front().map(|(_, to, bytes)| (to, bytes))
    }
}

/// When each side of one simulated connect reported `Connected` (since the client started).
#[derive(Debug, Clone, Copy)]
struct Outcome {
    client: Option<Duration>,
    listener: Option<Duration>,
    /// Something that must not happen did (a second accept); printed if nonzero.
    anomalies: u32,
}

/// One connect: the client, the listener (its endpoint and the connection it accepts), the
/// link between them, and the virtual clock.
struct Sim {
    start: Instant,
    now: Instant,
    link: Link,
    client: Connection,
    endpoint: Endpoint,
    server: Option<Connection>,
    buf: Vec<u8>,
    reply: Vec<u8>,
    outcome: Outcome,
}

/// The client's address as the listener sees it.
const CLIENT_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 50000);

impl Sim {
    fn new(mode: Mode, identity: &StaticKeypair, seed: u64, loss: f64, start: Instant) -> Sim {
        let mut entropy = SeededEntropy::from_u64(seed);
        let params = mode.params(identity.public());
        let client = Connection::connect(
            ConnectionConfig::default(),
            channels(),
            params,
            &mut entropy,
            start,
        );
        Sim {
            start,
            now: start,
            link: Link::new(seed, loss),
            client,
            endpoint: mode.endpoint(identity, seed ^ 0xE4D, start),
            server: None,
            buf: Vec::with_capacity(1500),
            reply: Vec::with_capacity(1500),
            outcome: Outcome { client: None, listener: None, anomalies: 0 },
        }
    }

    /// Runs until both sides are connected, either side gave up, or [`RUN_LIMIT`].
    fn run(mut self) -> Outcome {
        let deadline = self.start + RUN_LIMIT;
        for _ in 0..MAX_STEPS {
            self.step();
            let over =
                self.client.is_closed() || self.server.as_ref().is_some_and(Connection::is_closed);
            let both = self.outcome.client.is_some() && self.outcome.listener.is_some();
            if both || over || self.now >= deadline {
                break;
            }
            let next = [
                self.link.next_arrival(),
                self.client.poll_timeout(),
                self.server.as_ref().and_then(Connection::poll_timeout),
            ]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(deadline);
            self.now = next.max(self.now + MIN_STEP).min(deadline);
        }
        self.outcome
    }

    /// Everything due at `now`: arrivals, timers, transmissions, events.
    fn step(&mut self) {
        let now = self.now;
        for _ in 0..MAX_BURST {
            let Some((to, bytes)) = self.link.pop_due(now) else { break };
            match to {
                Dest::Client => {
                    self.client.handle_datagram(now, &bytes);
                }
                Dest::Data => {
                    if let Some(server) = self.server.as_mut() {
                        server.handle_datagram(now, &bytes);
                    }
                }
                Dest::Listen => self.listen(&bytes),
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
        self.poll_events();
    }

    /// A datagram on the listen port, handled as a UDP transport's listener would.
    fn listen(&mut self, datagram: &[u8]) {
        let now = self.now;
        let unproven = self.server.as_ref().is_some_and(|s| !s.is_connected() && !s.is_closed());
        self.endpoint.set_unproven(usize::from(unproven));
        match self.endpoint.handle(now, CLIENT_ADDR, datagram, &mut self.reply) {
            Handled::Dropped(_) => {}
            Handled::Reply => self.link.send(now, Dest::Client, &self.reply),
            Handled::Request(request) => {
                if self.server.is_some() {
                    self.outcome.anomalies += 1;
                }
                let peer = self.endpoint.accept(now, request, DATA_PORT, &mut self.reply);
                self.link.send(now, Dest::Client, &self.reply);
                let config = ConnectionConfig::default();
                self.server = Some(Connection::accepted(config, channels(), now, peer));
            }
        }
    }

    fn transmit(&mut self) {
        let now = self.now;
        for _ in 0..MAX_BURST {
            if !self.client.poll_transmit(now, &mut self.buf) {
                break;
            }
            let to = if self.client.data_port().is_some() { Dest::Data } else { Dest::Listen };
            self.link.send(now, to, &self.buf);
        }
        let Some(server) = self.server.as_mut() else { return };
        for _ in 0..MAX_BURST {
            if !server.poll_transmit(now, &mut self.buf) {
                break;
            }
            self.link.send(now, Dest::Client, &self.buf);
        }
    }

    fn poll_events(&mut self) {
        let elapsed = self.now - self.start;
        for _ in 0..MAX_BURST {
            match self.client.poll_event() {
                Some(ConnectionEvent::Connected { .. }) => {
                    self.outcome.client.get_or_insert(elapsed);
                }
                Some(_) => {}
                None => break,
            }
        }
        let Some(server) = self.server.as_mut() else { return };
        for _ in 0..MAX_BURST {
            match server.poll_event() {
                Some(ConnectionEvent::Connected { .. }) => {
                    self.outcome.listener.get_or_insert(elapsed);
                }
                Some(_) => {}
                None => break,
            }
        }
    }
}

/// Percentiles of one side's connect times over every run; a run that did not connect within
/// the handshake timeout counts as slower than any that did.
struct Summary {
    p50: Option<Duration>,
    p99: Option<Duration>,
    /// The slowest run that connected.
    max: Option<Duration>,
    failed: usize,
}

fn summarize(times: &[Option<Duration>]) -> Summary {
    let mut within: Vec<Duration> =
        times.iter().flatten().copied().filter(|t| *t <= HANDSHAKE_TIMEOUT).collect();
    within.sort_unstable();
    let failed = times.len() - within.len();
    // Nearest rank; an index past the runs that connected is a failure.
    let rank = |p: f64| {
        let index = ((p * times.len() as f64).ceil() as usize).saturating_sub(1);
        within.get(index).copied()
    };
    Summary { p50: rank(0.50), p99: rank(0.99), max: within.last().copied(), failed }
}

fn ms(time: Option<Duration>) -> String {
    time.map_or(">15 s".to_string(), |t| format!("{:.0}", t.as_secs_f64() * 1e3))
}

/// One row of the table: `runs` seeded connects of `mode` at `loss`. The seeds depend on the
/// run and the loss rate, not on the mode, so the modes face the same loss generators.
fn simulate(
    mode: Mode,
    loss: f64,
    runs: usize,
    identity: &StaticKeypair,
) -> (Summary, Summary, u32) {
    let start = Instant::now();
    let (mut client, mut listener, mut anomalies) = (Vec::new(), Vec::new(), 0);
    for run in 0..runs {
        let seed = (run as u64 + 1) ^ (((loss * 100.0) as u64) << 32);
        let outcome = Sim::new(mode, identity, seed, loss, start).run();
        client.push(outcome.client);
        listener.push(outcome.listener);
        anomalies += outcome.anomalies;
    }
    (summarize(&client), summarize(&listener), anomalies)
}

// ---------------------------------------------------------------------------------------------
// Report.
// ---------------------------------------------------------------------------------------------

fn cpu_text(value: Option<f64>, decimals: usize) -> String {
    value.map_or("n/a".to_string(), |v| format!("{v:.decimals$}"))
}

fn print_cost_row(label: &str, cost: Cost, n: usize) {
    let (wall, cpu) = cost.micros_each(n);
    println!("  {label:<66} {wall:>9.1} {:>9}", cpu_text(cpu, 1));
}

/// Each pass's least time over the rounds, wall and CPU apart: on a shared machine noise only
/// adds.
fn best(costs: impl IntoIterator<Item = Cost>) -> Cost {
    let min = |a: Cost, b: Cost| Cost {
        wall: a.wall.min(b.wall),
        cpu: a.cpu.zip(b.cpu).map(|(x, y)| x.min(y)),
    };
    costs.into_iter().reduce(min).unwrap_or(Cost { wall: Duration::ZERO, cpu: None })
}

/// `a` per item as a percentage of `b` per item, by CPU time when known.
fn percent(a: Cost, a_n: usize, b: Cost, b_n: usize) -> f64 {
    let ((a_wall, a_cpu), (b_wall, b_cpu)) = (a.micros_each(a_n), b.micros_each(b_n));
    let (a, b) = a_cpu.zip(b_cpu).unwrap_or((a_wall, b_wall));
    100.0 * a / b.max(1e-9)
}

/// The rounds of part 1: each a batch of Stardust handshakes, then the same number with bare
/// snow, then as many DH, so the figures and their baselines share the machine's moods.
struct Rounds {
    n: usize,
    listener: Vec<ListenerRun>,
    snow: Vec<SnowRun>,
    dh: Vec<Cost>,
}

fn report_listener(rounds: &Rounds) {
    let n = rounds.n;
    let runs = &rounds.listener;
    let retry = best(runs.iter().map(|r| r.retry));
    let listener = best(runs.iter().map(|r| r.retry.plus(r.handshake)));
    let responder = best(rounds.snow.iter().map(|s| s.responder));
    let dh = best(rounds.dh.iter().copied());
    println!(
        "1. Secure handshakes on one core, listener side: {n} clients (own identity, listener key \
         pinned), distinct addresses, cookies always; best of {} rounds, interleaved with the \
         baselines",
        runs.len()
    );
    println!("  {:<66} {:>9} {:>9}", "µs per handshake", "wall", "CPU");
    let label = format!("A    first request -> retry (cookie MAC, no DH; {RETRY_PASSES} passes)");
    print_cost_row(&label, retry, n);
    let handshake = best(runs.iter().map(|r| r.handshake));
    print_cost_row("C    request + cookie -> accept (msg 1 read: 2 DH; msg 2: 3)", handshake, n);
    print_cost_row("A+C  listener, per handshake", listener, n);
    print_cost_row(
        "baseline: bare snow IK responder (build, read 1, write 2, split)",
        responder,
        n,
    );
    print_cost_row("baseline: one X25519 DH (snow's resolver)", dh, n);
    let (rate, cpu_rate) = listener.rate(n);
    let (snow_rate, snow_cpu_rate) = responder.rate(n);
    println!("  {:<66} {:>9} {:>9}", "handshakes per second, one core", "wall", "CPU");
    println!("  {:<66} {rate:>9.0} {:>9}", "Stardust listener, N / (A + C)", cpu_text(cpu_rate, 0));
    let label = "baseline: bare snow IK responder";
    println!("  {label:<66} {snow_rate:>9.0} {:>9}", cpu_text(snow_cpu_rate, 0));
    println!(
        "  Stardust listener = {:.0} % of bare snow's responder time; \
         one retry = {:.1} % of one DH",
        percent(listener, n, responder, n),
        percent(retry, n, dh, n),
    );
    println!("  info:");
    let prove = best(runs.iter().map(|r| r.prove));
    print_cost_row("  proving: accepted Connection + client's first sealed packet", prove, n);
    print_cost_row(
        "  client: connect (writes msg 1) + read the accepted (msg 2)",
        best(runs.iter().map(|r| r.client)),
        n,
    );
    let initiator = best(rounds.snow.iter().map(|s| s.initiator));
    print_cost_row(
        "  baseline: bare snow IK initiator (build, write 1, read 2, split)",
        initiator,
        n,
    );
    let total = n * runs.len();
    let sum = |f: fn(&ListenerRun) -> usize| runs.iter().map(f).sum::<usize>();
    println!(
        "  checked over all rounds: {}/{total} retries, {}/{total} accepted, {}/{total} clients \
         connected, {}/{total} listener sides proven; bare snow {}/{total} completed",
        sum(|r| r.retries),
        sum(|r| r.accepted),
        sum(|r| r.clients_connected),
        sum(|r| r.proven),
        rounds.snow.iter().map(|s| s.completed).sum::<usize>(),
    );
    println!(
        "  (CPU n/a: a pass shorter than {} ms, below the thread CPU clock's resolution)",
        MIN_CPU_PASS.as_millis()
    );
}

fn report_simulation(runs: usize, identity: &StaticKeypair) {
    println!();
    println!(
        "2. Connect time, simulated: {runs} seeded runs per row, one-way delay {} ms fixed, each \
         datagram lost independently with the row's probability, each way; virtual clock",
        ONE_WAY.as_millis()
    );
    println!(
        "   p50/p99 over all runs (a run not connected within 15 s counts as slowest); \
         max over those connected"
    );
    let header = format!(
        "  {:<33} | {:^34} | {:^34}",
        "", "client connected, ms", "listener side connected, ms"
    );
    println!("{}", header.trim_end());
    println!(
        "  {:<27} {:>5} | {:>8} {:>8} {:>9} {:>6} | {:>8} {:>8} {:>9} {:>6}",
        "mode", "loss", "p50", "p99", "max", "failed", "p50", "p99", "max", "failed"
    );
    for loss in [0.0, 0.2, 0.4] {
        for mode in Mode::ALL {
            let (client, listener, anomalies) = simulate(mode, loss, runs, identity);
            println!(
                "  {:<27} {:>3} % | {:>8} {:>8} {:>9} {:>6} | {:>8} {:>8} {:>9} {:>6}{}",
                mode.label(),
                (loss * 100.0) as u32,
                ms(client.p50),
                ms(client.p99),
                ms(client.max),
                client.failed,
                ms(listener.p50),
                ms(listener.p99),
                ms(listener.max),
                listener.failed,
                if anomalies > 0 {
                    format!("  ({anomalies} second accepts!)")
                } else {
                    String::new()
                },
            );
        }
    }
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Rounds of part 1.
const ROUNDS: usize = 3;

fn main() {
    let clients = arg("--clients", 2_000).max(1);
    let runs = arg("--runs", 1_000).max(1);
    let clock = Instant::now();

    listener_handshakes(clients / 8 + 1); // warm-up
    let mut rounds = Rounds { n: clients, listener: Vec::new(), snow: Vec::new(), dh: Vec::new() };
    for _ in 0..ROUNDS {
        rounds.listener.push(listener_handshakes(clients));
        rounds.snow.push(snow_handshakes(clients));
        let (dh, done) = dh_baseline(clients);
        assert_eq!(done, clients, "every baseline DH succeeds");
        rounds.dh.push(dh);
    }
    report_listener(&rounds);
    let part1 = clock.elapsed();

    let identity = StaticKeypair::from_private(LISTENER_PRIVATE);
    report_simulation(runs, &identity);
    println!();
    println!(
        "run time: part 1 {:.1} s, part 2 {:.1} s (wall)",
        part1.as_secs_f64(),
        (clock.elapsed() - part1).as_secs_f64()
    );
}
