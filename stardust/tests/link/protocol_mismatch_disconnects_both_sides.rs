//! Two Apps with different channels never connect: both sides disconnect with
//! `ProtocolMismatch` naming both hashes.

// Written like game code: Bevy system params without `'_` lifetimes.

use crate::support::{MAX_FRAMES, step};
use bevy::prelude::*;
use stardust::prelude::*;

#[derive(Resource, Default)]
struct Seen(Vec<PeerDisconnected>);

fn record(app: &mut App) {
    app.init_resource::<Seen>();
    app.add_systems(
        Update,
        |mut messages: MessageReader<PeerDisconnected>, mut seen: ResMut<Seen>| {
            seen.0.extend(messages.read().cloned());
        },
    );
}

#[test]
fn protocol_mismatch_disconnects_both_sides() {
    let mut a = crate::support::app();
    let mut b = crate::support::app();
    b.add_protocol_value("game.version", "2");
    record(&mut a);
    record(&mut b);
    let hash_a = a.world().resource::<ProtocolHash>().0;
    let hash_b = b.world().resource::<ProtocolHash>().0;
    assert_ne!(hash_a, hash_b);

    let (b_on_a, a_on_b) = stardust::link::connect(&mut a, &mut b);
    for _ in 0..MAX_FRAMES {
        step(&mut [&mut a, &mut b]);
    }

    let seen_a = &a.world().resource::<Seen>().0;
    let mismatch_a = DisconnectReason::ProtocolMismatch { local: hash_a, remote: hash_b };
    assert_eq!(
        seen_a.iter().map(|m| (m.peer, &m.reason)).collect::<Vec<_>>(),
        vec![(b_on_a, &mismatch_a)]
    );
    let seen_b = &b.world().resource::<Seen>().0;
    let mismatch_b = DisconnectReason::ProtocolMismatch { local: hash_b, remote: hash_a };
    assert_eq!(
        seen_b.iter().map(|m| (m.peer, &m.reason)).collect::<Vec<_>>(),
        vec![(a_on_b, &mismatch_b)]
    );
}
