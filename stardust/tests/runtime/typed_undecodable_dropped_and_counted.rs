//! A payload on a typed channel that is not exactly one encoding of the channel's message
//! type (garbage, a truncated encoding, trailing bytes) is dropped at dispatch, counted per
//! channel in the sender's stats and in the app's totals, and never reaches a reader; the
//! valid messages around it still do.

use crate::support::{inject, spawn_bare_peer};
use crate::typed_support::*;
use stardust::prelude::*;
use stardust::stats::RuntimeStats;

#[test]
fn undecodable_typed_payloads_are_dropped_and_counted_per_channel() {
    let mut app = typed_app();
    let peer = spawn_bare_peer(&mut app);
    let good = postcard_line(7, "ok");
    inject(&mut app, peer, TypedOrdered::ID, &good);
    // A string length far beyond the payload.
    inject(&mut app, peer, TypedOrdered::ID, &[0x07, 0x7f, b'x']);
    // Truncated.
    inject(&mut app, peer, TypedOrdered::ID, &good[..good.len() - 1]);
    // Trailing byte.
    inject(&mut app, peer, TypedOrdered::ID, &[good.as_slice(), &[0]].concat());
    // No such enum variant.
    inject(&mut app, peer, TypedUnordered::ID, &[9]);
    inject(&mut app, peer, TypedUnordered::ID, &[1]);
    app.update();

    let decoded = &app.world().resource::<Decoded<TypedOrdered>>().messages;
    assert_eq!(decoded, &vec![(peer, Line { from: 7, text: "ok".into() })]);
    let inputs = &app.world().resource::<Decoded<TypedUnordered>>().messages;
    assert_eq!(inputs, &vec![(peer, Input::Jump)]);

    let stats = app.world().get::<PeerStats>(peer).unwrap();
    assert_eq!(stats.dropped_undecodable.get(&TypedOrdered::ID), Some(&3));
    assert_eq!(stats.dropped_undecodable.get(&TypedUnordered::ID), Some(&1));
    assert_eq!(stats.dropped_undecodable_total(), 4);
    assert_eq!(stats.messages_received, 2);
    assert_eq!(app.world().resource::<RuntimeStats>().dropped_undecodable, 4);
}

/// A `Line` as the wire carries it, written out by hand from the postcard rules (varint
/// `u32`, then the string's varint length and bytes), not by Stardust's encoder.
fn postcard_line(from: u8, text: &str) -> Vec<u8> {
    assert!(from < 0x80 && text.len() < 0x80, "one-byte varints only");
    [&[from, text.len() as u8][..], text.as_bytes()].concat()
}
