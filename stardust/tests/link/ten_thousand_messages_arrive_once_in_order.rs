//! 10,000 messages over 3 channels from two linked Apps arrive exactly once, in
//! per-channel send order, attributed to the peer entity that sent them.

// Written like game code: Bevy system params without `'_` lifetimes.

use crate::support::{Chat, Events, MAX_FRAMES, Moves, Received, run_once, step};
use bevy::prelude::*;
use stardust::prelude::*;

const PER_SENDER: u32 = 5_000;
const BATCH: u32 = 500;

/// Payload of message `index` from sender `sender`: tells both apart after the trip.
fn payload(sender: u8, index: u32) -> Vec<u8> {
    let mut bytes = vec![sender];
    bytes.extend_from_slice(&index.to_be_bytes());
    bytes
}

/// Sends messages `from..to` of `sender` to `peer`, spread over the three channels by index.
fn send_batch(app: &mut App, peer: Entity, sender: u8, from: u32, to: u32) {
    run_once(
        app,
        move |mut chat: ChannelWriter<Chat>,
              mut moves: ChannelWriter<Moves>,
              mut events: ChannelWriter<Events>| {
            for index in from..to {
                let bytes = payload(sender, index);
                match index % 3 {
                    0 => chat.send(peer, bytes).unwrap(),
                    1 => moves.send(peer, bytes).unwrap(),
                    _ => events.send(peer, bytes).unwrap(),
                }
            }
        },
    );
}

/// The indices of the messages received from `peer`, checking they carry `sender`'s mark.
fn indices(messages: &[(Entity, Vec<u8>)], peer: Entity, sender: u8) -> Vec<u32> {
    messages
        .iter()
        .filter(|(from, _)| *from == peer)
        .map(|(_, bytes)| {
            assert_eq!(bytes[0], sender, "message attributed to the wrong peer entity");
            u32::from_be_bytes(bytes[1..5].try_into().unwrap())
        })
        .collect()
}

#[test]
fn ten_thousand_messages_over_three_channels_arrive_once_in_order() {
    let mut server = crate::support::app();
    let mut alice = crate::support::app();
    let mut bob = crate::support::app();
    let (alice_on_server, server_on_alice) = crate::support::connect(&mut server, &mut alice);
    let (bob_on_server, server_on_bob) = crate::support::connect(&mut server, &mut bob);

    for from in (0..PER_SENDER).step_by(BATCH as usize) {
        send_batch(&mut alice, server_on_alice, 1, from, from + BATCH);
        send_batch(&mut bob, server_on_bob, 2, from, from + BATCH);
        step(&mut [&mut alice, &mut bob, &mut server]);
    }
    for _ in 0..MAX_FRAMES {
        step(&mut [&mut alice, &mut bob, &mut server]);
    }

    let world = server.world();
    let residues = [
        (0, &world.resource::<Received<Chat>>().messages),
        (1, &world.resource::<Received<Moves>>().messages),
        (2, &world.resource::<Received<Events>>().messages),
    ];
    let mut total = 0;
    for (residue, messages) in residues {
        total += messages.len();
        let expected: Vec<u32> = (0..PER_SENDER).filter(|i| i % 3 == residue).collect();
        for (name, peer, sender) in [("alice", alice_on_server, 1), ("bob", bob_on_server, 2)] {
            let got = indices(messages, peer, sender);
            let first_difference = got.iter().zip(&expected).position(|(a, b)| a != b);
            assert_eq!(first_difference, None, "{name}, channel {residue}: order differs");
            assert_eq!(got.len(), expected.len(), "{name}, channel {residue}: count differs");
        }
    }
    assert_eq!(total, 2 * PER_SENDER as usize);
    let stats = world.get::<PeerStats>(alice_on_server).unwrap();
    assert_eq!(stats.messages_received, u64::from(PER_SENDER));
}
