//! A link whose App has 20 % loss each way, 10 ± 10 ms of latency and 5 % duplication
//! (seeded) carries datagrams through the engine's reliability layer: every reliable ordered
//! message arrives exactly once, in order, both ways; the conditioner did drop and duplicate;
//! and a close sent after the messages reaches the other side after all of them.

use std::time::{Duration, Instant};

use crate::support::{Chat, Received, run_once, step};
use bevy::prelude::*;
use stardust::prelude::*;

const MESSAGES: u32 = 2_000;
const MAX_ROUNDS: usize = 20_000;
const DEADLINE: Duration = Duration::from_secs(60);

fn in_order(app: &App, peer: Entity) -> bool {
    let got = &app.world().resource::<Received<Chat>>().messages;
    for (i, (from, bytes)) in got.iter().enumerate() {
        assert_eq!(*from, peer);
        assert_eq!(bytes.as_slice(), (i as u32).to_be_bytes(), "message {i} out of order");
    }
    got.len() == MESSAGES as usize
}

fn send_range(app: &mut App, peer: Entity, range: std::ops::Range<u32>) {
    run_once(app, move |mut chat: ChannelWriter<Chat>| {
        for i in range.clone() {
            chat.send(peer, i.to_be_bytes().to_vec()).unwrap();
        }
    });
}

/// Steps both Apps (pausing 1 ms, the conditioner's delays are real time) until `done`, for
/// at most [`MAX_ROUNDS`] rounds and [`DEADLINE`].
fn run_until(a: &mut App, b: &mut App, mut done: impl FnMut(&App, &App) -> bool) -> bool {
    let start = Instant::now();
    for _ in 0..MAX_ROUNDS {
        if done(a, b) {
            return true;
        }
        if start.elapsed() > DEADLINE {
            break;
        }
        step(&mut [a, b]);
        std::thread::sleep(Duration::from_millis(1));
    }
    done(a, b)
}

#[test]
fn every_reliable_message_arrives_once_in_order_over_a_lossy_link() {
    let mut a = crate::support::app();
    let mut b = crate::support::app();
    let bad = Conditions {
        loss: 0.2,
        duplicate: 0.05,
        latency: Duration::from_millis(10),
        jitter: Duration::from_millis(10),
    };
    a.insert_resource(NetworkConditioner::both_ways(bad).with_seed(14));
    let (b_on_a, a_on_b) = crate::support::connect(&mut a, &mut b);
    for start in (0..MESSAGES).step_by(200) {
        send_range(&mut a, b_on_a, start..start + 200);
        send_range(&mut b, a_on_b, start..start + 200);
        step(&mut [&mut a, &mut b]);
    }
    let delivered = run_until(&mut a, &mut b, |a, b| in_order(a, b_on_a) && in_order(b, a_on_b));
    assert!(delivered, "not every message arrived in time");

    let link_a = a.world().get::<Link>(b_on_a).unwrap();
    assert!(
        link_a.carries_datagrams() && b.world().get::<Link>(a_on_b).unwrap().carries_datagrams()
    );
    let stats = link_a.conditioner_stats();
    assert!(stats.inbound.dropped > 0 && stats.outbound.dropped > 0, "{stats:?}");
    assert!(stats.inbound.duplicated + stats.outbound.duplicated > 0, "{stats:?}");

    // Messages sent just before a close all arrive before it.
    send_range(&mut a, b_on_a, 0..100);
    a.world_mut().commands().entity(b_on_a).disconnect_peer("bye");
    a.world_mut().flush();
    let closed = run_until(&mut a, &mut b, |_, b| {
        matches!(b.world().get::<PeerState>(a_on_b), Some(PeerState::Disconnected(_)))
    });
    assert!(closed, "the close never arrived");
    assert_eq!(b.world().resource::<Received<Chat>>().messages.len(), MESSAGES as usize + 100);
    let state = b.world().get::<PeerState>(a_on_b).unwrap();
    assert!(
        matches!(state, PeerState::Disconnected(DisconnectReason::Requested { message, .. }) if message == "bye"),
        "{state:?}"
    );
}
