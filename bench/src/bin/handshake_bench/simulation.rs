//! Part 2: connect time over a simulated lossy link, on a virtual clock.

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use stardust_proto::crypto::{PublicKey, SeededEntropy, StaticKeypair};
use stardust_proto::{
    ClientSecurity, ConnectParams, Connection, ConnectionConfig, ConnectionEvent, CookiePolicy,
    Endpoint, EndpointSecurity, Handled,
};

use super::{DATA_PORT, channels, endpoint_config, params, pinned};

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

pub(super) fn report_simulation(runs: usize, identity: &StaticKeypair) {
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
