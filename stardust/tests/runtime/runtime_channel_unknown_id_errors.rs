//! Naming a channel id nobody registered is an error, not a silent drop: the writer by id
//! refuses to queue, the reader by id says so, and the message names the fix.

// Written like game code: Bevy system params without `'_` lifetimes.

use crate::support::{Chat, run_once, spawn_bare_peer};
use bevy::prelude::*;
use stardust::messages::PeerOutbox;
use stardust::prelude::*;

#[test]
fn unknown_ids_are_refused_by_writer_and_reader() {
    let mut app = crate::support::app();
    let peer = spawn_bare_peer(&mut app);
    let unknown = ChannelId::new(0x00_0BAD).unwrap();
    run_once(&mut app, move |mut writer: ChannelWriterById, mut reader: ChannelReaderById| {
        let error = writer.send(unknown, peer, b"x".as_slice()).unwrap_err();
        assert_eq!(error, SendError::UnknownChannel(unknown));
        assert!(error.to_string().contains("add_channel_by_id"), "{error}");
        assert_eq!(
            writer.broadcast(unknown, b"x".as_slice()),
            Err(SendError::UnknownChannel(unknown))
        );
        assert_eq!(writer.max_size(unknown), None);
        let error = reader.read(unknown).map(|_| ()).unwrap_err();
        assert_eq!(error, UnknownChannelError(unknown));
        assert!(error.to_string().contains("0x000BAD"), "{error}");
        assert_eq!(reader.len(unknown), Err(UnknownChannelError(unknown)));
        // A derived channel is a registered channel like any other.
        writer.send(Chat::ID, peer, b"ok".as_slice()).unwrap();
        assert_eq!(reader.len(Chat::ID), Ok(0));
    });
    app.update();
    let outbox = app.world().get::<PeerOutbox>(peer).unwrap();
    assert_eq!(outbox.as_slice(), &[(Chat::ID, bytes::Bytes::from_static(b"ok"))]);
}
