//! Shared setup: replicon Apps over the link transport or UDP, a replicated component, a
//! client event, a server event, and bounded drive loops.

use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use bevy_replicon::prelude::*;
use bevy_replicon::shared::backend::channels::Channel;
use serde::{Deserialize, Serialize};
use stardust::prelude::*;
use stardust_replicon::StardustRepliconPlugin;

/// The replicated component.
#[derive(Component, Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
pub struct Position(pub i32, pub i32);

/// A client event: a move request.
#[derive(Event, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Input {
    pub step: i32,
}

/// A server event sent just before a disconnection.
#[derive(Event, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Goodbye(pub String);

/// Every `Input` the server received, with the client entity that sent it.
#[derive(Resource, Default, Debug)]
pub struct Inputs(pub Vec<(Entity, Input)>);

/// Every `Goodbye` a client received.
#[derive(Resource, Default, Debug)]
pub struct Goodbyes(pub Vec<String>);

/// Every peer disconnection an App saw.
#[derive(Resource, Default, Debug)]
pub struct Disconnections(pub Vec<(Entity, DisconnectReason)>);

/// Upper bound on rounds of any drive loop.
pub const MAX_ROUNDS: usize = 2_000;
/// Upper bound on the time of any drive loop.
pub const MAX_TIME: Duration = Duration::from_secs(10);

/// An App with replicon (ticking every update), Stardust with `transport`, the backend,
/// and the test protocol; finished, ready to run.
pub fn app(transport: impl Plugin) -> App {
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        StatesPlugin,
        RepliconPlugins.set(ServerPlugin::new(PostUpdate)),
        StardustPlugin,
        transport,
        StardustRepliconPlugin::default(),
    ))
    .replicate::<Position>()
    .add_client_event::<Input>(Channel::Ordered)
    .add_server_event::<Goodbye>(Channel::Ordered)
    .make_event_independent::<Goodbye>()
    .init_resource::<Inputs>()
    .init_resource::<Goodbyes>()
    .init_resource::<Disconnections>()
    .add_observer(|input: On<FromClient<Input>>, mut inputs: ResMut<Inputs>| {
        let client = input.client_id.entity().expect("inputs come from clients");
        inputs.0.push((client, input.message));
    })
    .add_observer(|goodbye: On<Goodbye>, mut goodbyes: ResMut<Goodbyes>| {
        goodbyes.0.push(goodbye.0.clone());
    })
    .add_observer(|gone: On<PeerDisconnected>, mut log: ResMut<Disconnections>| {
        log.0.push((gone.peer, gone.reason.clone()));
    });
    app.finish();
    app.cleanup();
    app
}

/// An App on the link transport.
pub fn link_app() -> App {
    app(LinkPlugin)
}

/// Runs every App once per round until `done` holds, for at most [`MAX_ROUNDS`] rounds
/// and [`MAX_TIME`] (pausing 1 ms per round so network timers see time pass). Returns
/// whether it held.
pub fn run_until(apps: &mut [&mut App], mut done: impl FnMut(&mut [&mut App]) -> bool) -> bool {
    let start = Instant::now();
    for _ in 0..MAX_ROUNDS {
        if done(apps) {
            return true;
        }
        if start.elapsed() > MAX_TIME {
            break;
        }
        for app in apps.iter_mut() {
            app.update();
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    done(apps)
}

/// The replicated positions `app` holds, sorted (on a client: the entities replicon spawned).
pub fn positions(app: &mut App) -> Vec<Position> {
    let mut query = app.world_mut().query_filtered::<&Position, With<Remote>>();
    let mut positions: Vec<Position> = query.iter(app.world()).copied().collect();
    positions.sort_by_key(|p| (p.0, p.1));
    positions
}

/// `app`'s replicon client state.
pub fn client_state(app: &App) -> ClientState {
    *app.world().resource::<State<ClientState>>().get()
}

/// `app`'s replicon server state.
pub fn server_state(app: &App) -> ServerState {
    *app.world().resource::<State<ServerState>>().get()
}

/// How many of `app`'s clients are replicon-authorized (connected and past the protocol check).
pub fn authorized_clients(app: &mut App) -> usize {
    let mut query = app.world_mut().query_filtered::<(), With<AuthorizedClient>>();
    query.iter(app.world()).count()
}

/// A [`run_until`] condition: apps `[1..]` (the clients) each hold exactly `expected`.
pub fn both_clients_see(expected: &[Position]) -> impl FnMut(&mut [&mut App]) -> bool + '_ {
    move |apps: &mut [&mut App]| apps[1..].iter_mut().all(|client| positions(client) == expected)
}

/// Runs the three Apps until the server has authorized both clients.
pub fn until_authorized(server: &mut App, one: &mut App, two: &mut App) {
    let done = run_until(&mut [server, one, two], |apps| authorized_clients(apps[0]) == 2);
    assert!(done, "both clients connect and pass replicon's protocol check");
}

/// A UDP server App: listens on 127.0.0.1 with OS-chosen ports (one peer port).
pub fn udp_server() -> App {
    app(UdpPlugin::new(UdpConfig::loopback(1)))
}

/// A UDP client App connecting to the listener at `addr`.
pub fn udp_client(addr: std::net::SocketAddr) -> App {
    let mut app = app(UdpPlugin::new(UdpConfig::default()));
    app.world_mut().connect_udp(addr);
    app
}
