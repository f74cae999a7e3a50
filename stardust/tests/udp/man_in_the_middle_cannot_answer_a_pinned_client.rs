//! A client that pinned the listener's key cannot be answered by anyone else: a listener
//! with another key (a man in the middle the client was steered to), or an attacker on the
//! path who swaps the key the real listener presents, ends the attempt at once with
//! `NotAuthenticated`, never `Connected`. Without a pinned key the client connects to whoever
//! answers: encryption without pinning, as documented.

use stardust::prelude::*;
use stardust::proto::crypto::SeededEntropy;
use stardust::proto::zero::ZeroMessage;
use stardust::udp::{Identity, UdpConnectOptions};

use crate::proxy::{Proxy, Verdict, Way, drive_through, listener_ports};
use crate::scenarios::*;
use crate::support::*;

fn identity(seed: u64) -> Identity {
    Identity::from_keypair(stardust::proto::crypto::StaticKeypair::generate(
        &mut SeededEntropy::from_u64(seed),
    ))
}

fn listener_with(identity: Identity) -> bevy::app::App {
    app_with(UdpConfig { identity: Some(identity), ..UdpConfig::loopback(1) })
}

fn pinned(key: stardust::proto::crypto::PublicKey) -> UdpConnectOptions {
    UdpConnectOptions { listener_key: Some(key), ..UdpConnectOptions::default() }
}

#[test]
fn a_listener_with_another_key_is_refused_by_a_pinned_client() {
    let (real, fake) = (identity(1), identity(2));
    let mut impostor = listener_with(fake.clone());
    let mut client = connecting_app();
    let addr = listen_addr(&impostor);
    let peer = client.world_mut().connect_udp_with(addr, pinned(real.public_key()));
    let ended = drive(&mut [&mut impostor, &mut client], DEADLINE, |apps| {
        disconnect_reason(apps[1], peer).is_some()
    });
    assert!(ended, "the pinned client is still waiting");
    let Some(DisconnectReason::NotAuthenticated(why)) = disconnect_reason(&client, peer) else {
        panic!("ended with {:?}", disconnect_reason(&client, peer));
    };
    assert!(
        why.contains(&fake.public_key().to_string())
            && why.contains(&real.public_key().to_string()),
        "{why}"
    );
    assert!(lifecycle(&client).connected.is_empty());
    assert!(connected_accepted(&mut impostor).is_empty());

    // The same listener answers a client that pinned nothing: encrypted, but to whoever answered.
    let unpinned = connect(&mut client, addr);
    let up =
        drive(&mut [&mut impostor, &mut client], DEADLINE, |apps| is_connected(apps[1], unpinned));
    assert!(up);
    assert_eq!(udp_peer(&client, unpinned).peer_key, Some(fake.public_key()), "the key it took");
}

#[test]
fn a_key_swapped_on_the_path_is_refused_by_a_pinned_client() {
    let (real, attacker) = (identity(3), identity(4));
    let mut listener = listener_with(real.clone());
    let mut client = connecting_app();
    let mut proxy = Proxy::new(listener_ports(&listener));
    let front = Proxy::front(listen_addr(&listener).port());
    let peer = client.world_mut().connect_udp_with(front, pinned(real.public_key()));
    let swap = |seen: &crate::proxy::Seen| {
        if seen.way != Way::Down {
            return Verdict::Pass;
        }
        match ZeroMessage::decode(&seen.bytes) {
            Ok(ZeroMessage::Retry(mut retry)) => {
                retry.key = attacker.public_key().0;
                let mut swapped = Vec::new();
                ZeroMessage::Retry(retry).encode(&mut swapped);
                Verdict::Send(vec![swapped])
            }
            _ => Verdict::Pass,
        }
    };
    let ended =
        drive_through(&mut proxy, &mut [&mut listener, &mut client], DEADLINE, swap, |apps, _| {
            disconnect_reason(apps[1], peer).is_some()
        });
    assert!(ended, "the pinned client is still waiting");
    assert!(matches!(
        disconnect_reason(&client, peer),
        Some(DisconnectReason::NotAuthenticated(_))
    ));
    assert!(lifecycle(&client).connected.is_empty(), "it connected through the swap");
}
