//! Replicon's connection stats come from Stardust's: over UDP, after some traffic, the
//! client's `ClientStats` and the server's `ConnectedClientStats` have an RTT, byte rates in
//! both directions and a loss percentage in range.

use crate::support::{Position, authorized_clients, run_until, udp_client, udp_server};
use bevy::prelude::*;
use bevy_replicon::prelude::*;
use stardust::prelude::*;

fn filled(stats: &ClientStats) -> bool {
    stats.rtt > 0.0 && stats.sent_bps > 0.0 && stats.received_bps > 0.0
}

#[test]
fn client_and_server_stats_fill_after_traffic() {
    let mut server = udp_server();
    let addr = server.world().resource::<UdpTransport>().listen_addr().expect("listens");
    let mut client = udp_client(addr);
    assert!(run_until(&mut [&mut server, &mut client], |apps| authorized_clients(apps[0]) == 1));
    let moving = server.world_mut().spawn((Replicated, Position(0, 0))).id();

    let mut frame = 0;
    let done = run_until(&mut [&mut server, &mut client], |apps| {
        // Keep traffic flowing both ways: a mutation every round, acknowledged by the client.
        frame += 1;
        apps[0].world_mut().entity_mut(moving).insert(Position(frame, 0));
        let client_stats = *apps[1].world().resource::<ClientStats>();
        let mut clients = apps[0].world_mut().query::<&ConnectedClientStats>();
        let server_stats: Vec<ClientStats> = clients.iter(apps[0].world()).map(|s| **s).collect();
        filled(&client_stats) && server_stats.len() == 1 && filled(&server_stats[0])
    });
    assert!(done, "stats filled on both sides");
    let stats = *client.world().resource::<ClientStats>();
    assert!((0.0..=100.0).contains(&stats.packet_loss), "{stats:?}");
    assert!(stats.rtt < 5.0, "loopback RTT in seconds: {stats:?}");
}
