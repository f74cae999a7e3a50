//! Shared setup of the runtime tests: channels, linked Apps, and a collector of what
//! each App's readers saw.

pub use crate::collect::{Received, collect};

use bevy::prelude::*;
use stardust::prelude::*;

/// Reliable ordered channel used by most tests.
#[derive(Channel)]
#[channel(reliable, ordered, id = 0x000A01)]
pub struct Chat;

/// A second channel, with a small `max_size`.
#[derive(Channel)]
#[channel(unreliable, sequenced, max_size = 64, id = 0x000A02)]
pub struct Moves;

/// A third channel.
#[derive(Channel)]
#[channel(reliable, unordered, id = 0x000A03)]
pub struct Events;

/// Upper bound on frames any test waits for something to happen.
pub const MAX_FRAMES: usize = 20;

/// An App with the runtime, the link transport and the three test channels, each
/// collected into a [`Received`] resource by a reader in `Update`.
pub fn app() -> App {
    let mut app = App::new();
    app.add_plugins((StardustPlugin, LinkPlugin));
    app.add_channel::<Chat>().add_channel::<Moves>().add_channel::<Events>();
    collect::<Chat>(&mut app);
    collect::<Moves>(&mut app);
    collect::<Events>(&mut app);
    app
}

/// Runs one frame of each App, in order.
pub fn step(apps: &mut [&mut App]) {
    for app in apps.iter_mut() {
        app.update();
    }
}

/// Connects `a` and `b` and runs both until each sees the other `Connected`.
/// Returns `(b as seen by a, a as seen by b)`.
pub fn connect(a: &mut App, b: &mut App) -> (Entity, Entity) {
    let (on_a, on_b) = stardust::link::connect(a, b);
    for _ in 0..MAX_FRAMES {
        if is_connected(a, on_a) && is_connected(b, on_b) {
            return (on_a, on_b);
        }
        step(&mut [a, b]);
    }
    panic!("link did not connect within {MAX_FRAMES} frames");
}

/// Whether `peer` is connected in `app`.
pub fn is_connected(app: &App, peer: Entity) -> bool {
    app.world().get::<PeerState>(peer).is_some_and(PeerState::is_connected)
}

/// Runs `f` as a one-shot system in `app` (e.g. to send with a `ChannelWriter`), applies
/// its buffers and returns its output.
pub fn run_once<O: 'static, M>(app: &mut App, f: impl IntoSystem<(), O, M> + 'static) -> O {
    app.world_mut().run_system_once(f).expect("one-shot system runs")
}

use bevy::ecs::system::RunSystemOnce;

/// Spawns a peer that no transport drives, already `Connected`: the test plays the
/// transport by filling its inbox and reading its outbox.
pub fn spawn_bare_peer(app: &mut App) -> Entity {
    app.world_mut().spawn((Peer, PeerState::Connected)).id()
}

/// Plays a transport: queues `payload` on `channel` in `peer`'s inbox.
pub fn inject(app: &mut App, peer: Entity, channel: ChannelId, payload: &[u8]) {
    let mut inbox = app.world_mut().get_mut::<stardust::messages::PeerInbox>(peer).unwrap();
    inbox.push(channel, bytes::Bytes::copy_from_slice(payload));
}

/// The message of the panic `f` raises.
pub fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let payload = std::panic::catch_unwind(f).expect_err("registration must panic");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .expect("panic payload is a message")
}
