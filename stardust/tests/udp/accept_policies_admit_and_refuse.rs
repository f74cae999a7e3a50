//! A listener's accept policy sees the client's authenticated key and its payload: an
//! allowlist admits its keys only; a ticket policy admits a ticket signed by the backend for
//! this listener, unexpired, once; refusals reach the client as `unauthorized` with the
//! reason, and a refused client never gets a peer entity on the listener.

use std::time::{SystemTime, UNIX_EPOCH};

use bevy::prelude::*;
use stardust::prelude::*;
use stardust::proto::ReasonCode;
use stardust::proto::crypto::{SeededEntropy, StaticKeypair, TicketSigner};
use stardust::udp::{AcceptPolicy, Identity, UdpConnectOptions, UdpTicket};

use crate::scenarios::*;
use crate::support::*;

fn identity(seed: u64) -> Identity {
    Identity::from_keypair(StaticKeypair::generate(&mut SeededEntropy::from_u64(seed)))
}

/// Connects a client App with `client_identity` to `listener` with `options`; returns the
/// client App, its peer, and the listener's accepted peer if it connected.
fn attempt(
    listener: &mut App,
    client_identity: Option<Identity>,
    payload: Vec<u8>,
) -> (App, Entity, Result<Entity, DisconnectReason>) {
    let mut client = app_with(UdpConfig { identity: client_identity, ..UdpConfig::default() });
    let key = listener.world().resource::<UdpTransport>().public_key();
    let options = UdpConnectOptions { listener_key: key, payload };
    let peer = client.world_mut().connect_udp_with(listen_addr(listener), options);
    let before = connected_accepted(listener).len();
    let settled = drive(&mut [&mut *listener, &mut client], DEADLINE, |apps| {
        disconnect_reason(apps[1], peer).is_some()
            || (is_connected(apps[1], peer) && connected_accepted(apps[0]).len() > before)
    });
    assert!(settled, "the attempt neither connected nor ended");
    let outcome = match disconnect_reason(&client, peer) {
        Some(reason) => Err(reason),
        None => Ok(*connected_accepted(listener).last().unwrap()),
    };
    (client, peer, outcome)
}

fn unauthorized(outcome: Result<Entity, DisconnectReason>, why: &str) {
    match outcome {
        Err(DisconnectReason::Rejected { code, data }) => {
            assert_eq!(code, ReasonCode::UNAUTHORIZED.0);
            let text = String::from_utf8(data).unwrap();
            assert!(text.contains(why), "{text}");
        }
        other => panic!("expected unauthorized ({why}), got {other:?}"),
    }
}

#[test]
fn an_allowlist_admits_its_keys_and_refuses_the_rest() {
    let (alice, mallory) = (identity(10), identity(11));
    let policy = AcceptPolicy::Allowlist([alice.public_key()].into());
    let mut listener = app_with(UdpConfig { accept: policy, ..UdpConfig::loopback(1) });
    let (_alice_app, _, outcome) = attempt(&mut listener, Some(alice.clone()), Vec::new());
    let admitted = outcome.expect("alice is on the list");
    assert_eq!(
        listener.world().get::<UdpPeer>(admitted).unwrap().peer_key,
        Some(alice.public_key())
    );
    let (_, _, outcome) = attempt(&mut listener, Some(mallory), Vec::new());
    unauthorized(outcome, "not on the listener's allowlist");
    let (_, _, outcome) = attempt(&mut listener, None, Vec::new());
    unauthorized(outcome, "connect with an identity");
    assert_eq!(connected_accepted(&mut listener), vec![admitted]);
}

#[test]
fn a_ticket_policy_admits_a_fresh_ticket_for_this_listener_once() {
    let backend = TicketSigner::generate(&mut SeededEntropy::from_u64(12));
    let listener_identity = identity(13);
    let policy = AcceptPolicy::Tickets { backend: backend.verifying_key() };
    let config = UdpConfig {
        identity: Some(listener_identity.clone()),
        accept: policy,
        ..UdpConfig::loopback(1)
    };
    let mut listener = app_with(config);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let key = listener_identity.public_key();

    let ticket = backend.mint(key, now + 60, [1; 16], b"player 42");
    let (_first, _, outcome) = attempt(&mut listener, None, ticket.clone());
    let admitted = outcome.expect("a fresh ticket admits");
    let on_entity = listener.world().get::<UdpTicket>(admitted).expect("the ticket is on the peer");
    assert_eq!(on_entity.0.data, b"player 42");

    let (_, _, outcome) = attempt(&mut listener, None, ticket);
    unauthorized(outcome, "already used");
    let expired = backend.mint(key, now - 1, [2; 16], b"");
    unauthorized(attempt(&mut listener, None, expired).2, "expired");
    let elsewhere = backend.mint(identity(14).public_key(), now + 60, [3; 16], b"");
    unauthorized(attempt(&mut listener, None, elsewhere).2, "another listener");
    let forged =
        TicketSigner::generate(&mut SeededEntropy::from_u64(15)).mint(key, now + 60, [4; 16], b"");
    unauthorized(attempt(&mut listener, None, forged).2, "not signed by the backend");
    unauthorized(attempt(&mut listener, None, Vec::new()).2, "not a ticket");
    assert_eq!(connected_accepted(&mut listener), vec![admitted]);
}
