//! Over UDP on 127.0.0.1, entities the server spawns, mutates and despawns are spawned,
//! mutated and despawned on both clients; each client's `ConnectedClient::max_size` is the
//! largest message its (encrypted) connection sends unfragmented.

use crate::support::{
    Position, both_clients_see, run_until, udp_client, udp_server, until_authorized,
};
use bevy::prelude::*;
use bevy_replicon::prelude::*;
use stardust::prelude::*;
use stardust_replicon::message_size::unfragmented_max_size;

#[test]
fn spawn_mutate_and_despawn_reach_both_clients() {
    let mut server = udp_server();
    let addr = server.world().resource::<UdpTransport>().listen_addr().expect("listens");
    let (mut one, mut two) = (udp_client(addr), udp_client(addr));
    until_authorized(&mut server, &mut one, &mut two);

    let mut clients = server.world_mut().query::<(&ConnectedClient, &UdpPeer)>();
    for (client, peer) in clients.iter(server.world()) {
        assert!(peer.secure, "the default UDP connection is encrypted");
        assert_eq!(client.max_size, unfragmented_max_size(UdpConfig::default().mtu, true));
    }

    let spawned: Vec<Entity> =
        (0..3).map(|n| server.world_mut().spawn((Replicated, Position(n, 0))).id()).collect();
    let initial = [Position(0, 0), Position(1, 0), Position(2, 0)];
    let apps = &mut [&mut server, &mut one, &mut two];
    assert!(run_until(apps, both_clients_see(&initial)), "spawns replicated");

    apps[0].world_mut().entity_mut(spawned[2]).insert(Position(2, -4));
    let mutated = [Position(0, 0), Position(1, 0), Position(2, -4)];
    assert!(run_until(apps, both_clients_see(&mutated)), "mutation replicated");

    apps[0].world_mut().despawn(spawned[1]);
    let despawned = [Position(0, 0), Position(2, -4)];
    assert!(run_until(apps, both_clients_see(&despawned)), "despawn replicated");
}
