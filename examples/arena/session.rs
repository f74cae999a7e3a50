//! Running the arena: building the App for a mode, the frame loop, and its phases.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use stardust::prelude::*;

use crate::bot::{self, Bot};
use crate::channels;
use crate::describe::describe;
use crate::host::{self, RelayFailures};
use crate::phase::{Clock, Phase};
use crate::report;
use crate::traffic::Traffic;

/// Time between the starts of two frames (200 Hz).
const FRAME: Duration = Duration::from_millis(5);
/// Longest wait for every bot to connect.
const CONNECT_LIMIT: Duration = Duration::from_secs(15);
/// Longest wait, after the bots stop sending, for what is in flight to arrive. Generous
/// because `--loss` makes it so: at 20 % loss, among thousands of packets a few are lost
/// five times in a row, and resends back off to the engine's 2 s ceiling, so the last
/// message can take 5–10 s. The wait ends as soon as nothing is missing.
const DRAIN_LIMIT: Duration = Duration::from_secs(20);
/// Longest wait for graceful closes at the end.
const CLOSE_LIMIT: Duration = Duration::from_secs(3);

/// Which sides of the arena this process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A listener on 127.0.0.1 and bots connecting to it, in one App.
    Local,
    /// Only the listener, on this address.
    Listen(SocketAddr),
    /// Only bots, connecting to the listener at this address.
    Connect(SocketAddr),
}

/// Everything the command line sets.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Which sides run.
    pub mode: Mode,
    /// Bots to connect (not used by [`Mode::Listen`]).
    pub bots: u32,
    /// How long bots send; for a listener, how long it runs (`None`: until killed).
    pub seconds: Option<f64>,
    /// Peer ports of the listener.
    pub ports: usize,
    /// The listener's public key the bots pin ([`Mode::Connect`]; [`Mode::Local`] pins its own).
    pub key: Option<PublicKey>,
    /// Where the listener keeps its key pair ([`Mode::Listen`]).
    pub identity: Option<PathBuf>,
    /// The network conditioner's conditions (none by default).
    pub conditions: Conditions,
    /// The network conditioner's seed (`None`: from the operating system).
    pub seed: Option<u64>,
    /// Only print the channel table and protocol hash, then exit.
    pub describe: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            mode: Mode::Local,
            bots: 12,
            seconds: None,
            ports: 4,
            key: None,
            identity: None,
            conditions: Conditions::default(),
            seed: None,
            describe: false,
        }
    }
}

/// How a run ended.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Everything that went wrong; empty means exit code 0.
    pub problems: Vec<String>,
    /// Port → accepted peers at the end of play (listening modes).
    pub port_loads: Vec<(u16, usize)>,
    /// Reliable messages received, by bots and guests together.
    pub reliable_received: u64,
}

/// Peers that lost their connection before the run's planned end, each with the reason.
#[derive(Resource, Debug, Default)]
struct Departures(Vec<String>);

/// The transport configuration for `options`, or why it cannot be built.
fn transport_config(options: &Options) -> Result<UdpConfig, String> {
    let identity = match &options.identity {
        Some(path) => Some(Identity::load_or_generate(path).map_err(|e| e.to_string())?),
        None => None,
    };
    let config = listen_config(options)?;
    Ok(UdpConfig { identity, conditioner: conditioner(options), ..config })
}

/// The conditioner for `options`: each datagram meets the conditions once. With both sides
/// in this App every datagram is received here, so on receipt only; otherwise both ways.
fn conditioner(options: &Options) -> NetworkConditioner {
    let conditioner = match options.mode {
        Mode::Local => {
            NetworkConditioner { inbound: options.conditions, ..NetworkConditioner::OFF }
        }
        Mode::Listen(_) | Mode::Connect(_) => NetworkConditioner::both_ways(options.conditions),
    };
    NetworkConditioner { seed: options.seed, ..conditioner }
}

/// Where the transport binds for `options`.
fn listen_config(options: &Options) -> Result<UdpConfig, String> {
    match options.mode {
        Mode::Local => Ok(UdpConfig::loopback(options.ports)),
        Mode::Connect(_) => Ok(UdpConfig::default()),
        Mode::Listen(addr) if addr.port() == 0 => Ok(UdpConfig {
            listen: Some(addr),
            peer_ports: vec![0; options.ports],
            ..UdpConfig::default()
        }),
        Mode::Listen(addr) => {
            let first = addr.port().checked_add(1);
            let last = u16::try_from(options.ports).ok().and_then(|n| addr.port().checked_add(n));
            match (first, last) {
                (Some(first), Some(last)) => Ok(UdpConfig::listening(addr, first..=last)),
                _ => Err(format!("listen port {} leaves no room for the peer ports", addr.port())),
            }
        }
    }
}

/// The App for `options`, its sockets bound; or why the transport cannot start.
pub fn build_app(options: &Options) -> Result<App, String> {
    let config = transport_config(options)?;
    let mut app = App::new();
    app.add_plugins((StardustPlugin, UdpPlugin::new(config)));
    // A busy port does not stop the App: the plugin reports it here instead.
    if let Some(failure) = app.world().get_resource::<UdpBindFailure>() {
        return Err(failure.error.to_string());
    }
    channels::add_arena_channels(&mut app);
    if options.conditions.is_active() {
        let c = &options.conditions;
        println!(
            "network conditioner: {:.1} % loss, {} ± {} ms, {:.1} % duplicated, seed {:?}",
            c.loss * 100.0,
            c.latency.as_millis(),
            c.jitter.as_millis(),
            c.duplicate * 100.0,
            options.seed,
        );
    }
    app.init_resource::<Phase>().init_resource::<Clock>().init_resource::<Departures>();
    app.add_systems(Update, record_departures);
    match options.mode {
        Mode::Local => {
            host::add_host(&mut app, false);
            app.add_systems(Update, (bot::bot_send, bot::bot_receive));
        }
        Mode::Listen(_) => host::add_host(&mut app, true),
        Mode::Connect(_) => {
            app.add_systems(Update, (bot::bot_send, bot::bot_receive));
        }
    }
    Ok(app)
}

/// Prints each connection lost before the planned end the frame it is reported, with its
/// reason and what the bot had done, and records it as a problem of the run. The bot's
/// entity goes a frame later, so it sends nothing more.
fn record_departures(
    phase: Res<Phase>,
    mut left: MessageReader<PeerDisconnected>,
    bots: Query<&Bot>,
    mut departures: ResMut<Departures>,
) {
    for message in left.read() {
        let phase = *phase;
        if phase == Phase::Done {
            continue;
        }
        let line = match bots.get(message.peer) {
            Ok(bot) => format!(
                "{} lost its connection during {phase:?}: {} (it had sent {} chat lines, {} \
                 echoed; {} events, {} acknowledged); it stops",
                bot.name,
                message.reason,
                bot.chat_sent,
                bot.echoed,
                bot.events_sent,
                bot.acked()
            ),
            Err(_) => format!("a guest lost its connection during {phase:?}: {}", message.reason),
        };
        println!("! {line}");
        departures.0.push(line);
    }
}

/// The App that only knows the arena's channels: what `--describe` prints.
pub fn describe_app() -> App {
    let mut app = App::new();
    channels::add_arena_channels(&mut app);
    app
}

/// The start banner: the channel table, with each id's wire bytes, and the protocol hash.
pub fn banner(app: &App) -> String {
    format!(
        "arena channels (id, its 3 bytes on the wire, delivery contract):\n{}",
        describe(app.world())
    )
}

/// Runs one frame at `clock`, then sleeps until the next frame is due.
fn frame(app: &mut App, clock: Duration) {
    let started = Instant::now();
    app.world_mut().resource_mut::<Clock>().0 = clock;
    app.update();
    std::thread::sleep(FRAME.saturating_sub(started.elapsed()));
}

/// Runs the listener only, printing joins and leaves, for `seconds` or forever.
pub fn run_listener(options: &Options) -> Result<Outcome, String> {
    let mut app = build_app(options)?;
    print!("{}", banner(&app));
    let transport = app.world().resource::<UdpTransport>();
    let ports: Vec<String> = transport.peer_ports().map(|p| p.to_string()).collect();
    let listen = transport.listen_addr().map_or("-".into(), |a| a.to_string());
    let key = transport.public_key().map_or("-".into(), |key| key.to_string());
    println!("listening on {listen}, peer ports {}", ports.join(", "));
    println!("public key {key}");
    println!(
        "connect bots with: cargo run --release --example arena -- --connect {listen} --key {key}"
    );
    let start = Instant::now();
    let limit = options.seconds.map(Duration::from_secs_f64);
    while limit.is_none_or(|limit| start.elapsed() < limit) {
        frame(&mut app, start.elapsed());
    }
    let world = app.world_mut();
    print!("{}", report::guest_table(world));
    let loads = report::port_loads(world);
    println!("{}", report::port_distribution(&loads));
    let problems = world.resource::<RelayFailures>().problems();
    Ok(Outcome { port_loads: loads, problems, ..Outcome::default() })
}

/// Runs the bots (and, in [`Mode::Local`], the listener they connect to): connect, play for
/// `seconds`, drain, print the tables, close.
pub fn run_bots(options: &Options) -> Result<Outcome, String> {
    let mut app = build_app(options)?;
    let transport = app.world().resource::<UdpTransport>();
    let (target, key) = match options.mode {
        Mode::Connect(addr) => (addr, options.key),
        _ => {
            // Both sides here: the bots pin the listener's own key.
            let listen = transport.listen_addr().ok_or("the arena does not listen")?;
            (listen, transport.public_key())
        }
    };
    print!("{}", banner(&app));
    match key {
        Some(key) => println!("{} bots connecting to {target}, pinning key {key}", options.bots),
        None => println!(
            "{} bots connecting to {target}; no --key given: encrypted, but the listener is not \
             authenticated (any listener at that address is taken)",
            options.bots
        ),
    }
    let connect = UdpConnectOptions { listener_key: key, ..UdpConnectOptions::default() };
    for index in 1..=options.bots {
        let peer = app.world_mut().connect_udp_with(target, connect.clone());
        app.world_mut().entity_mut(peer).insert((Bot::new(index), Traffic::default()));
    }
    let mut outcome = Outcome::default();
    if let Err(problem) = connect_all(&mut app) {
        outcome.problems.push(problem);
        return Ok(outcome);
    }
    let local = options.mode == Mode::Local;
    let start = play_and_drain(&mut app, options, local);
    if options.conditions.is_active() {
        println!("{}", conditioner_summary(&app));
    }

    let world = app.world_mut();
    if local {
        print!("{}", report::guest_table(world));
    }
    print!("{}", report::bot_table(world));
    println!(
        "(rtt includes frame pacing: each App reads the network once per {} ms frame)",
        FRAME.as_millis()
    );
    outcome.port_loads = report::port_loads(world);
    if local {
        println!("\n{}", report::port_distribution(&outcome.port_loads));
        if !report::balanced(&outcome.port_loads) {
            outcome.problems.push("peers are not spread evenly over the peer ports".into());
        }
    }
    outcome.reliable_received = report::reliable_received(world);
    outcome.problems.extend(problems(&mut app, local));
    close_all(&mut app, start);
    Ok(outcome)
}

/// What the network conditioner did over all ports of `app`, each way.
fn conditioner_summary(app: &App) -> String {
    let mut total = stardust::conditioner::ConditionerStats::default();
    for (_, _, stats) in app.world().resource::<UdpTransport>().iter_port_stats() {
        total.add(&stats.conditioner);
    }
    let line = |way: &str, d: stardust::conditioner::DirectionStats| {
        let share = d.dropped as f64 * 100.0 / d.offered.max(1) as f64;
        format!(
            "{way} {} datagrams: dropped {} ({share:.1} %), duplicated {}, delayed {}",
            d.offered, d.dropped, d.duplicated, d.delayed
        )
    };
    format!("network conditioner: {}; {}", line("in", total.inbound), line("out", total.outbound))
}

/// Plays for `--seconds` (or until no bot is connected any more), then waits for what is in
/// flight (at most [`DRAIN_LIMIT`]); returns when play started. The phase is then
/// [`Phase::Done`].
fn play_and_drain(app: &mut App, options: &Options, local: bool) -> Instant {
    let play = Duration::from_secs_f64(options.seconds.unwrap_or(5.0));
    println!("playing for {:.1} s", play.as_secs_f64());
    *app.world_mut().resource_mut::<Phase>() = Phase::Play;
    let start = Instant::now();
    while start.elapsed() < play && bots_playing(app) {
        frame(app, start.elapsed());
    }
    *app.world_mut().resource_mut::<Phase>() = Phase::Drain;
    if bots_playing(app) {
        let drain = Instant::now();
        while drain.elapsed() < DRAIN_LIMIT && !missing(app, local).is_empty() {
            frame(app, start.elapsed());
        }
        println!("drained in {:.0} ms", drain.elapsed().as_secs_f64() * 1e3);
    } else {
        println!(
            "every bot lost its connection: stopped after {:.1} s",
            start.elapsed().as_secs_f64()
        );
    }
    *app.world_mut().resource_mut::<Phase>() = Phase::Done;
    start
}

/// Runs frames until every bot is connected; fails as soon as one is refused.
fn connect_all(app: &mut App) -> Result<(), String> {
    let start = Instant::now();
    loop {
        let mut query = app.world_mut().query::<(&Bot, &PeerState)>();
        let mut pending = 0;
        for (bot, state) in query.iter(app.world()) {
            match state {
                PeerState::Connected => {}
                PeerState::Disconnected(reason) => {
                    return Err(format!("{} could not connect: {reason}", bot.name));
                }
                _ => pending += 1,
            }
        }
        let departed = &app.world().resource::<Departures>().0;
        if let Some(first) = departed.first() {
            return Err(first.clone());
        }
        if pending == 0 {
            println!("all bots connected in {:.0} ms", start.elapsed().as_secs_f64() * 1e3);
            return Ok(());
        }
        if start.elapsed() > CONNECT_LIMIT {
            return Err(format!("{pending} bots still connecting after {CONNECT_LIMIT:?}"));
        }
        frame(app, Duration::ZERO);
    }
}

/// Whether any bot is still connected.
fn bots_playing(app: &mut App) -> bool {
    let mut query = app.world_mut().query_filtered::<&PeerState, With<Bot>>();
    query.iter(app.world()).any(PeerState::is_connected)
}

/// Everything the connected bots are still missing: echoes, acks and relayed lines, and
/// (when the listener runs here) any reliable count the two sides disagree on.
fn missing(app: &mut App, local: bool) -> Vec<String> {
    let world = app.world_mut();
    let mut missing = report::bot_problems(world);
    missing.extend(report::relay_problems(world));
    if local {
        missing.extend(report::cross_check(world));
    }
    missing
}

/// Every problem of the run: connections lost before the end, what is missing, and what the
/// listener (when it runs here) could not send.
fn problems(app: &mut App, local: bool) -> Vec<String> {
    let mut problems = app.world().resource::<Departures>().0.clone();
    problems.extend(missing(app, local));
    if let Some(failures) = app.world().get_resource::<RelayFailures>() {
        problems.extend(failures.problems());
    }
    problems
}

/// Closes every bot's connection and runs frames until the closes went out.
fn close_all(app: &mut App, start: Instant) {
    let mut query = app.world_mut().query_filtered::<Entity, With<Bot>>();
    let bots: Vec<Entity> = query.iter(app.world()).collect();
    for bot in bots {
        if let Some(mut state) = app.world_mut().get_mut::<PeerState>(bot) {
            state.close("arena over");
        }
    }
    let closing = Instant::now();
    while closing.elapsed() < CLOSE_LIMIT {
        let mut query = app.world_mut().query_filtered::<(), With<Bot>>();
        if query.iter(app.world()).next().is_none() {
            break;
        }
        frame(app, start.elapsed());
    }
}
