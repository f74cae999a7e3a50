//! One broadcast from a server App reaches each of 50 linked client Apps exactly once,
//! attributed on each client to its server peer entity.

// Written like game code: Bevy system params without `'_` lifetimes.

use crate::support::{Chat, MAX_FRAMES, Received, run_once, step};
use bevy::prelude::*;
use stardust::prelude::*;

const CLIENTS: usize = 50;

#[test]
fn broadcast_reaches_fifty_peers_once_each() {
    let mut server = crate::support::app();
    let mut clients: Vec<App> = (0..CLIENTS).map(|_| crate::support::app()).collect();
    let mut server_on_client = Vec::new();
    for client in &mut clients {
        let (_, on_client) = crate::support::connect(&mut server, client);
        server_on_client.push(on_client);
    }

    let queued = run_once(&mut server, |mut chat: ChannelWriter<Chat>| {
        chat.broadcast(b"round starts".as_slice()).unwrap()
    });
    assert_eq!(queued, CLIENTS);
    let all_received = |clients: &[App]| {
        clients
            .iter()
            .all(|client| !client.world().resource::<Received<Chat>>().messages.is_empty())
    };
    for _ in 0..MAX_FRAMES {
        if all_received(&clients) {
            break;
        }
        server.update();
        for client in &mut clients {
            step(&mut [client]);
        }
    }
    // One more frame everywhere: a duplicate would show up now.
    server.update();
    for client in &mut clients {
        step(&mut [client]);
    }

    for (client, server_entity) in clients.iter().zip(&server_on_client) {
        let received = &client.world().resource::<Received<Chat>>().messages;
        assert_eq!(received, &vec![(*server_entity, b"round starts".to_vec())]);
    }
}
