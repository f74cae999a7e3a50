//! Part 1: what one core spends on the listener's side of a secure handshake, beside bare
//! snow and one X25519 DH.

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
    AcceptedPeer, ChannelTable, ConnectParams, Connection, ConnectionConfig, CookiePolicy,
    Endpoint, EndpointSecurity, Handled, Received,
};

use super::thread_cpu::thread_cpu;
use super::{
    DATA_PORT, LISTENER_PRIVATE, PROTOCOL_HASH, TRANSPORT_ID, VERSION, channels, endpoint_config,
    pinned,
};

/// The shortest pass whose thread-CPU time is printed (see [`timed`]).
const MIN_CPU_PASS: Duration = Duration::from_millis(50);
/// Pass A is this many passes over the same N first requests: answering one is stateless,
/// so each pass does the same work, and together they run long enough for the CPU clock.
const RETRY_PASSES: u32 = 16;

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
    let cpu = thread_cpu();
    let clock = Instant::now();
    let out = f();
    let wall = clock.elapsed();
    let cpu = cpu.zip(thread_cpu()).map(|(start, end)| end.saturating_sub(start));
    (out, Cost { wall, cpu: cpu.filter(|_| wall >= MIN_CPU_PASS) })
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

/// Part 1: a warm-up, then `rounds` rounds of Stardust's listener beside bare snow and one
/// DH, `clients` handshakes each, and the report.
pub(super) fn run(clients: usize, rounds: usize) {
    listener_handshakes(clients / 8 + 1); // warm-up
    let mut measured =
        Rounds { n: clients, listener: Vec::new(), snow: Vec::new(), dh: Vec::new() };
    for _ in 0..rounds {
        measured.listener.push(listener_handshakes(clients));
        measured.snow.push(snow_handshakes(clients));
        let (dh, done) = dh_baseline(clients);
        assert_eq!(done, clients, "every baseline DH succeeds");
        measured.dh.push(dh);
    }
    report_listener(&measured);
}
