//! `replicated`: bevy_replicon over Stardust's UDP transport, in one process.
//!
//! A headless server on 127.0.0.1 (OS-chosen ports) replicates 32 moving entities to 4 clients,
//! each connecting with the server's key pinned. When a client connects, the server spawns an
//! avatar for it; the client steers it with typed `Nudge` events (replicon client events), and
//! every client sees every avatar move. The movers stop after 3 s; the example then waits
//! until every client holds exactly the server's entities and positions, and every nudge has
//! been applied.
//!
//! Prints what each client sees once a second, then exits 0 when every client converged, or
//! 1 with the reason after 20 s.
//!
//! ```sh
//! cargo run --release -p stardust_replicon --example replicated
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use bevy_replicon::prelude::*;
use bevy_replicon::shared::backend::channels::Channel as Delivery;
use serde::{Deserialize, Serialize};
use stardust::prelude::*;
use stardust_replicon::{BackendStats, StardustRepliconPlugin};

const CLIENTS: usize = 4;
const MOVERS: usize = 32;
const NUDGES_PER_CLIENT: u32 = 10;
/// How long the movers move: long enough for many unreliable mutation rounds.
const MOVING_FOR: Duration = Duration::from_secs(3);
/// The whole run, connecting included, must converge within this.
const DEADLINE: Duration = Duration::from_secs(20);
/// Pause between two rounds of updates (about 100 updates per second per App).
const FRAME: Duration = Duration::from_millis(10);

/// Where an entity is: replicated.
#[derive(Component, Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
struct Position {
    x: f32,
    y: f32,
}

/// A client's avatar, numbered in connection order: replicated.
#[derive(Component, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
struct Avatar(u32);

/// On the server: which client an avatar belongs to.
#[derive(Component)]
struct AvatarOf(Entity);

/// On the server: a mover's path around the origin (radius, angular speed).
#[derive(Component)]
struct Orbit {
    radius: f32,
    speed: f32,
}

/// A client's input: move my avatar by this much. A replicon client event.
#[derive(Event, Serialize, Deserialize, Debug, Clone, Copy)]
struct Nudge {
    dx: i8,
    dy: i8,
}

/// On a client: how many nudges it sent.
#[derive(Resource, Default)]
struct Sent(u32);

/// On the server: when the run started, and the nudges applied per client entity.
#[derive(Resource)]
struct Run {
    started: Instant,
    nudges: Vec<(Entity, u32)>,
}

/// What both sides register, in the same order: replicon requires it, and Stardust's
/// protocol hash refuses a client that differs.
fn protocol(app: &mut App) {
    app.replicate::<Position>().replicate::<Avatar>().add_client_event::<Nudge>(Delivery::Ordered);
}

fn base_app(udp: UdpConfig) -> App {
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        StatesPlugin,
        RepliconPlugins.set(ServerPlugin::new(PostUpdate)),
        StardustPlugin,
        UdpPlugin::new(udp),
        StardustRepliconPlugin::default(),
    ));
    protocol(&mut app);
    app
}

fn server_app() -> App {
    let mut app = base_app(UdpConfig::loopback(2));
    app.insert_resource(Run { started: Instant::now(), nudges: Vec::new() })
        .add_systems(Startup, spawn_movers)
        .add_systems(Update, move_movers)
        .add_observer(spawn_avatar)
        .add_observer(apply_nudge);
    app.finish();
    app.cleanup();
    app
}

fn client_app(listen: SocketAddr, key: Option<PublicKey>) -> App {
    let mut app = base_app(UdpConfig::default());
    app.init_resource::<Sent>()
        .add_systems(Update, send_nudges.run_if(in_state(ClientState::Connected)));
    app.finish();
    app.cleanup();
    let options = UdpConnectOptions { listener_key: key, ..Default::default() };
    app.world_mut().connect_udp_with(listen, options);
    app
}

fn spawn_movers(mut commands: Commands) {
    for n in 0..MOVERS {
        let radius = 10.0 + n as f32;
        let speed = 0.5 + (n % 5) as f32 * 0.25;
        commands.spawn((Replicated, Position { x: radius, y: 0.0 }, Orbit { radius, speed }));
    }
}

fn move_movers(run: Res<Run>, mut movers: Query<(&Orbit, &mut Position)>) {
    let elapsed = run.started.elapsed();
    if elapsed > MOVING_FOR {
        return;
    }
    let t = elapsed.as_secs_f32();
    for (orbit, mut position) in &mut movers {
        let angle = orbit.speed * t;
        *position = Position { x: orbit.radius * angle.cos(), y: orbit.radius * angle.sin() };
    }
}

fn spawn_avatar(
    connected: On<Add, ConnectedClient>,
    mut commands: Commands,
    avatars: Query<(), With<Avatar>>,
) {
    let number = avatars.iter().count() as u32 + 1;
    let origin = Position { x: 0.0, y: 0.0 };
    commands.spawn((Replicated, Avatar(number), origin, AvatarOf(connected.entity)));
}

fn apply_nudge(
    nudge: On<FromClient<Nudge>>,
    mut avatars: Query<(&AvatarOf, &mut Position)>,
    mut run: ResMut<Run>,
) {
    let Some(client) = nudge.client_id.entity() else { return };
    let Some((_, mut position)) = avatars.iter_mut().find(|(of, _)| of.0 == client) else {
        return;
    };
    position.x += f32::from(nudge.dx);
    position.y += f32::from(nudge.dy);
    match run.nudges.iter_mut().find(|(of, _)| *of == client) {
        Some((_, count)) => *count += 1,
        None => run.nudges.push((client, 1)),
    }
}

/// A nudge every fifth frame until all are sent.
fn send_nudges(mut commands: Commands, mut sent: ResMut<Sent>, mut frame: Local<u32>) {
    *frame += 1;
    if sent.0 < NUDGES_PER_CLIENT && (*frame).is_multiple_of(5) {
        commands.client_trigger(Nudge { dx: 1, dy: -1 });
        sent.0 += 1;
    }
}

/// Replicated positions `app` holds (on the server: what it replicates; on a client: what
/// replicon spawned), sorted so two Apps compare regardless of entity ids.
fn positions<F: bevy::ecs::query::QueryFilter>(app: &mut App) -> Vec<(u32, i64, i64)> {
    let mut query = app.world_mut().query_filtered::<(&Position, Option<&Avatar>), F>();
    let mut all: Vec<_> = query
        .iter(app.world())
        .map(|(p, avatar)| {
            // Exact comparison: replicon sends the f32 bits unchanged.
            let bits = |v: f32| i64::from(v.to_bits());
            (avatar.map_or(0, |a| a.0), bits(p.x), bits(p.y))
        })
        .collect();
    all.sort_unstable();
    all
}

/// Why the run has not converged yet, or `None` once it has.
fn not_converged(server: &mut App, clients: &mut [App]) -> Option<String> {
    let run = server.world().resource::<Run>();
    if run.started.elapsed() <= MOVING_FOR {
        return Some("the movers are still moving".into());
    }
    let nudged = run.nudges.iter().filter(|(_, n)| *n == NUDGES_PER_CLIENT).count();
    if nudged < CLIENTS {
        return Some(format!("{nudged} of {CLIENTS} clients had all their nudges applied"));
    }
    let expected = positions::<With<Replicated>>(server);
    for (n, client) in clients.iter_mut().enumerate() {
        let seen = positions::<With<Remote>>(client);
        if seen != expected {
            let differ = seen.iter().zip(&expected).filter(|(a, b)| a != b).count();
            return Some(format!(
                "client {n} holds {} entities ({differ} differ), the server {}",
                seen.len(),
                expected.len()
            ));
        }
    }
    None
}

/// One line per client: what it sees.
fn report(clients: &mut [App]) {
    for (n, client) in clients.iter_mut().enumerate() {
        let stats = *client.world().resource::<ClientStats>();
        let state = *client.world().resource::<State<ClientState>>().get();
        let mut avatars = client.world_mut().query::<(&Avatar, &Position)>();
        let mut avatars: Vec<_> = avatars.iter(client.world()).map(|(a, p)| (a.0, *p)).collect();
        avatars.sort_by_key(|(number, _)| *number);
        let mut remote = client.world_mut().query_filtered::<(), With<Remote>>();
        let entities = remote.iter(client.world()).count();
        let avatars: Vec<String> = avatars
            .iter()
            .map(|(number, p)| format!("#{number} ({:.0}, {:.0})", p.x, p.y))
            .collect();
        println!(
            "client {n}: {state:?}, sees {entities} entities, avatars [{}], rtt {:.2} ms, \
             in {:.0} B/s, out {:.0} B/s",
            avatars.join(", "),
            stats.rtt * 1000.0,
            stats.received_bps,
            stats.sent_bps,
        );
    }
}

fn main() -> ExitCode {
    let mut server = server_app();
    let transport = server.world().resource::<UdpTransport>();
    let Some(listen) = transport.listen_addr() else {
        eprintln!("the server could not bind its listen port on 127.0.0.1");
        return ExitCode::FAILURE;
    };
    let key = transport.public_key();
    println!("server listening on {listen}: {MOVERS} movers, {CLIENTS} clients");
    let mut clients: Vec<App> = (0..CLIENTS).map(|_| client_app(listen, key)).collect();

    let start = Instant::now();
    let mut last_report = start;
    loop {
        server.update();
        for client in &mut clients {
            client.update();
        }
        if last_report.elapsed() >= Duration::from_secs(1) {
            last_report = Instant::now();
            report(&mut clients);
        }
        match not_converged(&mut server, &mut clients) {
            None => break,
            Some(reason) if start.elapsed() > DEADLINE => {
                report(&mut clients);
                eprintln!("not converged after {DEADLINE:?}: {reason}");
                return ExitCode::FAILURE;
            }
            Some(_) => std::thread::sleep(FRAME),
        }
    }
    report(&mut clients);
    let lost: u64 = clients.iter().map(|c| c.world().resource::<BackendStats>().unsent).sum();
    println!(
        "converged in {:.2} s: every client holds the server's {} entities at the same \
         positions, and all {} nudges were applied ({lost} replicon messages unsent)",
        start.elapsed().as_secs_f64(),
        MOVERS + CLIENTS,
        CLIENTS as u32 * NUDGES_PER_CLIENT,
    );
    ExitCode::SUCCESS
}
