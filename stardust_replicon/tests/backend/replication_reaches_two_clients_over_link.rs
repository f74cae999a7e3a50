//! Over the link transport, entities the server spawns, mutates and despawns are spawned,
//! mutated and despawned on both clients.

use crate::support::Position;
use crate::support::{both_clients_see, link_app, run_until, until_authorized};
use bevy::prelude::*;
use bevy_replicon::prelude::*;
use stardust_replicon::connect_link;

#[test]
fn spawn_mutate_and_despawn_reach_both_clients() {
    let (mut server, mut one, mut two) = (link_app(), link_app(), link_app());
    connect_link(&mut server, &mut one);
    connect_link(&mut server, &mut two);
    until_authorized(&mut server, &mut one, &mut two);

    let spawned: Vec<Entity> =
        (0..3).map(|n| server.world_mut().spawn((Replicated, Position(n, 0))).id()).collect();
    let initial = [Position(0, 0), Position(1, 0), Position(2, 0)];
    let apps = &mut [&mut server, &mut one, &mut two];
    assert!(run_until(apps, both_clients_see(&initial)), "spawns replicated");

    apps[0].world_mut().entity_mut(spawned[1]).insert(Position(1, 7));
    let mutated = [Position(0, 0), Position(1, 7), Position(2, 0)];
    assert!(run_until(apps, both_clients_see(&mutated)), "mutation replicated");

    apps[0].world_mut().despawn(spawned[0]);
    let despawned = [Position(1, 7), Position(2, 0)];
    assert!(run_until(apps, both_clients_see(&despawned)), "despawn replicated");
}
