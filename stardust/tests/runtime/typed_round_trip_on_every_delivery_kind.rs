//! A typed channel sends `&T` and its readers get `T` back, on every delivery kind: the
//! value that arrives equals the value sent, structs, enums, tuples and sequences alike.

// Written like game code: Bevy system params without `'_` lifetimes.

use crate::support::{MAX_FRAMES, connect, run_once, step};
use crate::typed_support::*;
use bevy::prelude::*;
use stardust::prelude::*;

#[test]
fn typed_messages_arrive_equal_on_every_delivery_kind() {
    let mut a = typed_app();
    let mut b = typed_app();
    let (b_on_a, a_on_b) = connect(&mut a, &mut b);

    let lines: Vec<Line> =
        (0..5).map(|from| Line { from, text: format!("line {from} ünïcødé") }).collect();
    let inputs = vec![Input::Move { x: 1.5, y: -2.0 }, Input::Jump, Input::Say("gg".into())];
    let position = (42u32, [1.0f32, 2.0, 3.0]);
    let samples: Vec<u16> = vec![0, 1, 300, u16::MAX];
    let (sent_lines, sent_inputs, sent_samples) = (lines.clone(), inputs.clone(), samples.clone());
    run_once(
        &mut a,
        move |mut ordered: ChannelWriter<TypedOrdered>,
              mut unordered: ChannelWriter<TypedUnordered>,
              mut sequenced: ChannelWriter<TypedSequenced>,
              mut unreliable: ChannelWriter<TypedUnreliable>| {
            for line in &sent_lines {
                ordered.send(b_on_a, line).unwrap();
            }
            for input in &sent_inputs {
                assert_eq!(unordered.broadcast(input), Ok(1));
            }
            sequenced.send_to([b_on_a], &position).unwrap();
            // No peer is excepted: the one peer gets it.
            assert_eq!(unreliable.broadcast_except(Entity::PLACEHOLDER, &sent_samples), Ok(1));
        },
    );
    for _ in 0..MAX_FRAMES {
        step(&mut [&mut a, &mut b]);
    }

    let world = b.world();
    let ordered = &world.resource::<Decoded<TypedOrdered>>().messages;
    assert_eq!(ordered, &lines.into_iter().map(|line| (a_on_b, line)).collect::<Vec<_>>());
    let unordered = &world.resource::<Decoded<TypedUnordered>>().messages;
    assert_eq!(unordered, &inputs.into_iter().map(|input| (a_on_b, input)).collect::<Vec<_>>());
    assert_eq!(world.resource::<Decoded<TypedSequenced>>().messages, vec![(a_on_b, position)]);
    assert_eq!(world.resource::<Decoded<TypedUnreliable>>().messages, vec![(a_on_b, samples)]);
    let stats = world.get::<PeerStats>(a_on_b).unwrap();
    assert_eq!(stats.dropped_undecodable_total(), 0);
}
