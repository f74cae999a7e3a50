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

mod listener_cost;
mod simulation;
#[path = "../../thread_cpu.rs"]
mod thread_cpu;

use std::time::Instant;

use stardust_proto::crypto::{PublicKey, StaticKeypair};
use stardust_proto::{
    ChannelConfig, ChannelId, ChannelTable, ClientSecurity, ConnectParams, CookiePolicy,
    EndpointConfig, Ordering, Reliability, SecureClient,
};

use self::simulation::report_simulation;

/// FNV-1a 64 of `stardust-udp`, the UDP transport's identifier.
const TRANSPORT_ID: u64 = 0x5173_04c8_90e3_9087;
const VERSION: u32 = 2;
const PROTOCOL_HASH: u64 = 0x9b1c_0e55_d2a4_f7e0;
const DATA_PORT: u16 = 40001;
const LISTENER_PRIVATE: [u8; 32] = [0x11; 32];

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

    listener_cost::run(clients, ROUNDS);
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
