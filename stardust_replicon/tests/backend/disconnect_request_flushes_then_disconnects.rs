//! A replicon `DisconnectRequest` closes the client's connection after what the server sent
//! it in the same frame: the client receives the last event, then sees the connection closed
//! by the server with the backend's message, and its replicon client state goes back to
//! `Disconnected`; the other client stays connected.

use crate::support::{
    Disconnections, Goodbye, Goodbyes, client_state, link_app, run_until, until_authorized,
};
use bevy::prelude::*;
use bevy_replicon::prelude::*;
use stardust::prelude::*;
use stardust_replicon::connect_link;
use stardust_replicon::server::DISCONNECT_MESSAGE;

#[test]
fn disconnect_request_sends_pending_messages_first() {
    let (mut server, mut one, mut two) = (link_app(), link_app(), link_app());
    let (one_on_server, server_on_one) = connect_link(&mut server, &mut one);
    connect_link(&mut server, &mut two);
    until_authorized(&mut server, &mut one, &mut two);

    let world = server.world_mut();
    world.commands().server_trigger(ToClients {
        targets: SendTargets::Single(ClientId::Client(one_on_server)),
        message: Goodbye("bye".into()),
    });
    world.write_message(DisconnectRequest { client: one_on_server });

    let apps = &mut [&mut server, &mut one, &mut two];
    let one_disconnected =
        |apps: &mut [&mut App]| !apps[1].world().resource::<Disconnections>().0.is_empty();
    assert!(run_until(apps, one_disconnected), "the client sees the disconnection");

    assert_eq!(one.world().resource::<Goodbyes>().0, vec!["bye".to_owned()], "sent first");
    let expected = DisconnectReason::Requested {
        by: DisconnectInitiator::Remote,
        message: DISCONNECT_MESSAGE.to_owned(),
    };
    assert_eq!(one.world().resource::<Disconnections>().0, vec![(server_on_one, expected)]);
    one.update();
    assert_eq!(client_state(&one), ClientState::Disconnected);
    assert_eq!(client_state(&two), ClientState::Connected, "the other client stays");
    assert!(two.world().resource::<Goodbyes>().0.is_empty(), "sent to one client only");
}
