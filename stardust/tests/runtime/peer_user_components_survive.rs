//! Components a game puts on peer entities, at spawn or later, survive connection and
//! traffic: the transport and the runtime never remove them.

// Written like game code: Bevy system params without `'_` lifetimes.

use crate::support::{Chat, MAX_FRAMES, Received, run_once, step};
use bevy::prelude::*;
use stardust::prelude::*;

#[derive(Component, Debug, PartialEq)]
struct Nickname(&'static str);

#[derive(Component, Debug, PartialEq)]
struct Score(u32);

#[test]
fn user_components_on_peers_survive() {
    let mut server = crate::support::app();
    let mut client = crate::support::app();
    let (end_on_server, end_on_client) = stardust::link::pair();
    let peer = server.world_mut().spawn((end_on_server, Nickname("ann"))).id();
    let server_on_client = client.world_mut().spawn(end_on_client).id();
    for _ in 0..MAX_FRAMES {
        step(&mut [&mut server, &mut client]);
    }
    assert_eq!(server.world().get::<PeerState>(peer), Some(&PeerState::Connected));
    server.world_mut().entity_mut(peer).insert(Score(3));

    run_once(&mut client, move |mut chat: ChannelWriter<Chat>| {
        chat.send(server_on_client, b"gg".as_slice()).unwrap();
    });
    for _ in 0..MAX_FRAMES {
        step(&mut [&mut client, &mut server]);
    }

    assert_eq!(server.world().resource::<Received<Chat>>().messages, vec![(peer, b"gg".to_vec())]);
    assert_eq!(server.world().get::<Nickname>(peer), Some(&Nickname("ann")));
    assert_eq!(server.world().get::<Score>(peer), Some(&Score(3)));
}
