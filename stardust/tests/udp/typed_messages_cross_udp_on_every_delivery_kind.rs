//! Typed messages over the secure UDP transport, on every delivery kind: what a reader
//! decodes equals what was sent, reliable ordered in order, and nothing fails to decode.

// Written like game code: Bevy system params without `'_` lifetimes.

use bevy::ecs::system::RunSystemOnce;
use bevy::prelude::*;
use serde::{Deserialize, Serialize};
use stardust::prelude::*;

use crate::support::{
    connect, connected_accepted, connecting_app, is_connected, listen_addr, listener_app, run_until,
};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Line {
    seq: u32,
    text: String,
}

#[derive(Channel)]
#[channel(reliable, ordered, id = 0x000E01, message = Line)]
struct Ordered;

#[derive(Channel)]
#[channel(reliable, unordered, id = 0x000E02, message = Line)]
struct Unordered;

#[derive(Channel)]
#[channel(unreliable, sequenced, id = 0x000E03, message = (u32, [f32; 2]))]
struct Sequenced;

#[derive(Channel)]
#[channel(unreliable, unordered, id = 0x000E04, message = Option<u64>)]
struct Unreliable;

/// What the listener's readers decoded, per channel.
#[derive(Resource, Default)]
struct Heard {
    ordered: Vec<Line>,
    unordered: Vec<Line>,
    sequenced: Vec<(u32, [f32; 2])>,
    unreliable: Vec<Option<u64>>,
}

fn with_typed_channels(mut app: App) -> App {
    app.add_channel::<Ordered>()
        .add_channel::<Unordered>()
        .add_channel::<Sequenced>()
        .add_channel::<Unreliable>()
        .init_resource::<Heard>()
        .add_systems(
            Update,
            |ordered: ChannelReader<Ordered>,
             unordered: ChannelReader<Unordered>,
             sequenced: ChannelReader<Sequenced>,
             unreliable: ChannelReader<Unreliable>,
             mut heard: ResMut<Heard>| {
                heard.ordered.extend(ordered.read().map(|(_, line)| line));
                heard.unordered.extend(unordered.read().map(|(_, line)| line));
                heard.sequenced.extend(sequenced.read().map(|(_, position)| position));
                heard.unreliable.extend(unreliable.read().map(|(_, value)| value));
            },
        );
    app
}

#[test]
fn typed_messages_cross_udp_on_every_delivery_kind() {
    let mut listener = with_typed_channels(listener_app(1));
    let mut client = with_typed_channels(connecting_app());
    let server = connect(&mut client, listen_addr(&listener));
    assert!(run_until(&mut [&mut listener, &mut client], |apps| {
        is_connected(apps[1], server) && !connected_accepted(apps[0]).is_empty()
    }));

    let lines: Vec<Line> =
        (0..50).map(|seq| Line { seq, text: "x".repeat(seq as usize) }).collect();
    let sent = lines.clone();
    client
        .world_mut()
        .run_system_once(
            move |mut ordered: ChannelWriter<Ordered>,
                  mut unordered: ChannelWriter<Unordered>,
                  mut sequenced: ChannelWriter<Sequenced>,
                  mut unreliable: ChannelWriter<Unreliable>| {
                for line in &sent {
                    ordered.send(server, line).unwrap();
                    unordered.send(server, line).unwrap();
                }
                sequenced.send(server, &(9, [0.5, -0.5])).unwrap();
                unreliable.send(server, &Some(u64::MAX)).unwrap();
            },
        )
        .unwrap();

    let arrived = run_until(&mut [&mut listener, &mut client], |apps| {
        let heard = apps[0].world().resource::<Heard>();
        heard.ordered.len() == lines.len() && heard.unordered.len() == lines.len()
    });
    assert!(arrived, "every reliable typed message arrives");
    let heard = listener.world().resource::<Heard>();
    assert_eq!(heard.ordered, lines);
    let mut unordered = heard.unordered.clone();
    unordered.sort_by_key(|line| line.seq);
    assert_eq!(unordered, lines);
    // Loopback loses nothing in practice, but unreliable channels promise nothing: check
    // only that what arrived is what was sent.
    assert!(heard.sequenced.iter().all(|position| *position == (9, [0.5, -0.5])));
    assert!(heard.unreliable.iter().all(|value| *value == Some(u64::MAX)));
    for peer in connected_accepted(&mut listener) {
        let stats = listener.world().get::<PeerStats>(peer).unwrap();
        assert_eq!(stats.dropped_undecodable_total(), 0);
    }
}
