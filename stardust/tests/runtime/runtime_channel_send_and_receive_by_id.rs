//! Channels added at runtime, by id and by name, carry bytes between two linked Apps:
//! sent with `ChannelWriterById`, read once per reader system with `ChannelReaderById`, in
//! send order, with the same size and peer checks as a typed writer; writers by id never
//! conflict with each other or with typed writers and readers.

// Written like game code: Bevy system params without `'_` lifetimes.

use crate::support::{Chat, MAX_FRAMES, connect, run_once, step};
use bevy::ecs::schedule::Schedule;
use bevy::prelude::*;
use stardust::prelude::*;

const STATE: ChannelId = match ChannelId::new(0x00_BEEF) {
    Some(id) => id,
    None => panic!("0x00BEEF is a valid channel id"),
};
const INPUTS: &str = "test.runtime.inputs";

fn state_config() -> ChannelConfig {
    ChannelConfig::new(Reliability::Reliable, Ordering::Ordered).with_max_size(16)
}

/// What the `Update` readers of an App saw on each runtime channel, in reading order.
#[derive(Resource, Default)]
struct Seen {
    state: Vec<(Entity, Vec<u8>)>,
    inputs: Vec<(Entity, Vec<u8>)>,
}

fn read_both(mut reader: ChannelReaderById, mut seen: ResMut<Seen>) {
    let inputs = ChannelId::from_name(INPUTS);
    seen.state.extend(reader.read(STATE).unwrap().map(|(peer, bytes)| (peer, bytes.to_vec())));
    assert!(reader.is_empty(STATE).unwrap(), "read() marks everything as seen");
    seen.inputs.extend(reader.read(inputs).unwrap().map(|(peer, bytes)| (peer, bytes.to_vec())));
}

fn app() -> App {
    let mut app = crate::support::app();
    app.add_channel_by_id(STATE, state_config())
        .add_channel_by_name(
            INPUTS,
            ChannelConfig::new(Reliability::Unreliable, Ordering::Sequenced),
        )
        .init_resource::<Seen>()
        .add_systems(Update, read_both);
    app
}

#[test]
fn bytes_sent_by_id_arrive_once_in_order() {
    let (mut server, mut client) = (app(), app());
    let (client_on_server, server_on_client) = connect(&mut server, &mut client);

    run_once(&mut server, move |mut writer: ChannelWriterById| {
        for n in 0..5u8 {
            writer.send(STATE, client_on_server, vec![n; 3]).unwrap();
        }
        let too_large = writer.send(STATE, client_on_server, vec![0; 17]).unwrap_err();
        assert_eq!(
            too_large,
            SendError::TooLarge { channel: "runtime channel", size: 17, max_size: 16 }
        );
        assert_eq!(writer.max_size(STATE), Some(16));
        assert_eq!(writer.broadcast(ChannelId::from_name(INPUTS), b"all".as_slice()), Ok(1));
    });
    run_once(&mut client, move |mut writer: ChannelWriterById| {
        writer.send(ChannelId::from_name(INPUTS), server_on_client, b"jump".as_slice()).unwrap();
    });
    for _ in 0..MAX_FRAMES {
        step(&mut [&mut server, &mut client]);
    }

    let seen = client.world().resource::<Seen>();
    let expected: Vec<_> = (0..5u8).map(|n| (server_on_client, vec![n; 3])).collect();
    assert_eq!(seen.state, expected, "every message once, in send order");
    assert_eq!(seen.inputs, vec![(server_on_client, b"all".to_vec())]);
    let seen = server.world().resource::<Seen>();
    assert_eq!(seen.inputs, vec![(client_on_server, b"jump".to_vec())]);
    assert!(seen.state.is_empty());
}

#[test]
fn writers_by_id_conflict_with_no_writer_or_reader() {
    fn by_id_a(mut writer: ChannelWriterById) {
        let _ = writer.broadcast(STATE, b"a".as_slice());
    }
    fn by_id_b(mut writer: ChannelWriterById) {
        let _ = writer.broadcast(STATE, b"b".as_slice());
    }
    fn typed(mut chat: ChannelWriter<Chat>) {
        let _ = chat.broadcast(b"c".as_slice());
    }
    fn read_by_id(mut reader: ChannelReaderById) {
        let _ = reader.read(STATE).map(Iterator::count);
    }
    fn read_typed(chat: ChannelReader<Chat>) {
        let _ = chat.read().count();
    }
    let mut app = app();
    let mut schedule = Schedule::default();
    schedule.add_systems((by_id_a, by_id_b, typed, read_by_id, read_typed));
    schedule.initialize(app.world_mut()).expect("schedule builds");
    assert_eq!(schedule.graph().conflicting_systems().0.len(), 0);
}
