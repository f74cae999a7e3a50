//! A peer that is not a replicon client (not marked `ClientPeer`, so never a
//! `ConnectedClient`) cannot feed replicon: what it sends on replicon's channels is dropped
//! and counted in `BackendStats::unrouted`, and the server never admits it.

use bevy::ecs::system::RunSystemOnce;
use bevy::prelude::*;
use bevy_replicon::prelude::*;
use stardust::prelude::*;
use stardust_replicon::channels::client_channel_id;
use stardust_replicon::{BackendStats, connect_link};

use crate::support::{link_app, run_until};

#[test]
fn a_stranger_on_replicon_channels_is_counted_and_ignored() {
    let (mut server, mut client, mut stranger) = (link_app(), link_app(), link_app());
    connect_link(&mut server, &mut client);
    let (stranger_on_server, server_on_stranger) =
        stardust::link::connect(&mut server, &mut stranger);
    let apps = &mut [&mut server, &mut client, &mut stranger];
    let connected = |apps: &mut [&mut App]| {
        apps[2].world().get::<PeerState>(server_on_stranger).is_some_and(PeerState::is_connected)
    };
    assert!(run_until(apps, connected), "the stranger connects at Stardust's level");

    let ack_channel = client_channel_id(0).expect("replicon's first client channel");
    let sent = stranger.world_mut().run_system_once(move |mut writer: ChannelWriterById| {
        writer.send(ack_channel, server_on_stranger, vec![0u8; 8])
    });
    assert_eq!(sent.expect("system runs"), Ok(()));
    let apps = &mut [&mut server, &mut client, &mut stranger];
    let counted = |apps: &mut [&mut App]| apps[0].world().resource::<BackendStats>().unrouted == 1;
    assert!(run_until(apps, counted), "the stranger's message is counted as unrouted");
    assert!(
        server.world().get::<ConnectedClient>(stranger_on_server).is_none(),
        "a peer not marked as a client is never replicon's client"
    );
}
