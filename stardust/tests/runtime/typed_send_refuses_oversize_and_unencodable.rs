//! A typed message whose encoding exceeds the channel's `max_size` is refused with
//! `SendError::TooLarge` naming the encoding's exact size, and one whose `Serialize` impl
//! postcard cannot encode with `SendError::Encode`; nothing is queued either way, and the
//! writer keeps working.

// Written like game code: Bevy system params without `'_` lifetimes.

use crate::support::{run_once, spawn_bare_peer};
use crate::typed_support::*;
use bevy::prelude::*;
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use stardust::messages::PeerOutbox;
use stardust::prelude::*;

/// A sequence that does not say its length up front, which postcard cannot encode.
#[derive(Deserialize, Debug)]
struct Streamed(Vec<u8>);

impl Serialize for Streamed {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for byte in &self.0 {
            seq.serialize_element(byte)?;
        }
        seq.end()
    }
}

#[derive(Channel)]
#[channel(reliable, unordered, id = 0x000B05, message = Streamed)]
struct StreamedChannel;

#[test]
fn typed_send_refuses_oversize_and_unencodable_messages() {
    let mut app = typed_app();
    app.add_channel::<StreamedChannel>();
    let peer = spawn_bare_peer(&mut app);

    run_once(
        &mut app,
        move |mut sequenced: ChannelWriter<TypedSequenced>,
              mut streamed: ChannelWriter<StreamedChannel>| {
            // TypedSequenced has max_size = 64; (u32, [f32; 3]) encodes to 1 + 12 bytes.
            let small = (1u32, [0.0f32; 3]);
            assert_eq!(sequenced.send(peer, &small), Ok(()));
            let error = streamed.send(peer, &Streamed(vec![1, 2, 3])).unwrap_err();
            assert!(matches!(error, SendError::Encode { .. }), "{error:?}");
            assert!(error.to_string().contains("Serialize"), "{error}");
        },
    );
    run_once(&mut app, move |mut unreliable: ChannelWriter<TypedUnreliable>| {
        // TypedUnreliable keeps the unreliable default max_size (1024): 600 u16 of 300 take
        // 2 bytes each, plus a 2-byte varint length.
        let too_large = unreliable.send(peer, &vec![300u16; 600]).unwrap_err();
        assert_eq!(
            too_large,
            SendError::TooLarge {
                channel: std::any::type_name::<TypedUnreliable>(),
                size: 1202,
                max_size: 1024
            }
        );
        assert_eq!(unreliable.broadcast(&vec![300u16; 600]).unwrap_err(), too_large);
        // The writer still works after a refusal.
        assert_eq!(unreliable.send(peer, &vec![7u16]), Ok(()));
    });
    app.update();

    let outbox = app.world().get::<PeerOutbox>(peer).unwrap();
    let queued: Vec<(ChannelId, &[u8])> =
        outbox.as_slice().iter().map(|(id, bytes)| (*id, bytes.as_ref())).collect();
    assert_eq!(
        queued,
        vec![
            (TypedSequenced::ID, &[1u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0][..]),
            (TypedUnreliable::ID, &[1u8, 7][..]),
        ]
    );
}
