//! Replicon's states follow Stardust's lifecycle: the App given the server role runs the
//! server from its first frame, a client is `Connecting` then `Connected` with its server peer,
//! and `Disconnected` when that connection closes; an App that neither listens nor connects
//! stays stopped and disconnected. Over UDP, the listening App is the server.

use crate::support::{client_state, link_app, run_until, server_state, udp_client, udp_server};
use bevy::prelude::*;
use bevy_replicon::prelude::*;
use stardust::prelude::*;
use stardust_replicon::{ClientConnection, ClientPeer, ServerPeer, connect_link};

#[test]
fn link_roles_and_states() {
    let (mut server, mut client, mut idle) = (link_app(), link_app(), link_app());
    let (client_on_server, server_on_client) = connect_link(&mut server, &mut client);
    assert!(server.world().get::<ClientPeer>(client_on_server).is_some());
    assert!(client.world().get::<ServerPeer>(server_on_client).is_some());

    // The client runs first: it has sent its hello but not heard the server's yet.
    for app in [&mut client, &mut server, &mut idle] {
        app.update();
    }
    assert_eq!(server_state(&server), ServerState::Running);
    assert_eq!(client_state(&client), ClientState::Connecting);
    assert_eq!(client_state(&server), ClientState::Disconnected);
    assert_eq!(server_state(&client), ServerState::Stopped);

    let apps = &mut [&mut server, &mut client, &mut idle];
    assert!(run_until(apps, |apps| client_state(apps[1]) == ClientState::Connected));
    let connection = *client.world().resource::<ClientConnection>();
    assert_eq!(connection.server, Some(server_on_client));

    client.world_mut().commands().entity(server_on_client).disconnect_peer("leaving");
    let apps = &mut [&mut server, &mut client, &mut idle];
    assert!(run_until(apps, |apps| client_state(apps[1]) == ClientState::Disconnected));
    assert_eq!(client.world().resource::<ClientConnection>().server, None);
    assert_eq!(server_state(&idle), ServerState::Stopped);
    assert_eq!(client_state(&idle), ClientState::Disconnected);
}

#[test]
fn over_udp_the_listener_serves_and_the_connector_is_a_client() {
    let mut server = udp_server();
    let addr = server.world().resource::<UdpTransport>().listen_addr().expect("listens");
    let mut client = udp_client(addr);
    let apps = &mut [&mut server, &mut client];
    let done = run_until(apps, |apps| {
        let mut accepted =
            apps[0].world_mut().query_filtered::<(), (With<ClientPeer>, With<ConnectedClient>)>();
        server_state(apps[0]) == ServerState::Running
            && client_state(apps[1]) == ClientState::Connected
            && accepted.iter(apps[0].world()).count() == 1
    });
    assert!(done, "server running, its accepted peer a connected client, the connector connected");
    assert_eq!(server_state(&client), ServerState::Stopped, "the connector only connects");
}
