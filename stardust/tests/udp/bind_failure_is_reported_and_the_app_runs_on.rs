//! A port that cannot be bound does not panic the App: the plugin keeps the error (with the
//! address and the OS error) in `UdpBindFailure`, the App runs on without UDP, and a
//! connection asked for then ends at once with `TransportClosed`.

use std::net::{Ipv4Addr, UdpSocket};

use bevy::prelude::*;
use stardust::prelude::*;
use stardust::udp::{UdpBindError, UdpBindFailure};

use crate::support::*;

#[test]
fn a_taken_listen_port_is_reported_and_the_app_runs_on() {
    let taken = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = taken.local_addr().unwrap();
    let mut app = app_with(UdpConfig::listening(addr, 0..=0));
    assert!(app.world().get_resource::<UdpTransport>().is_none());
    let failure = app.world().get_resource::<UdpBindFailure>().expect("the failure is kept");
    assert!(matches!(failure.error, UdpBindError::Listen(_)), "{:?}", failure.error);
    let text = failure.error.to_string();
    assert!(text.contains(&addr.to_string()), "the message names the address: {text}");
    assert!(text.contains("pick a free port"), "the message says what to do: {text}");

    let peer = connect(&mut app, addr);
    run_rounds(&mut [&mut app], 3);
    assert_eq!(disconnect_reason(&app, peer), Some(DisconnectReason::TransportClosed));
    run_rounds(&mut [&mut app], 3);
    assert!(app.world().get_entity(peer).is_err(), "the refused peer was despawned");
}

#[test]
fn a_taken_peer_port_is_reported_naming_it() {
    let taken = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = taken.local_addr().unwrap().port();
    let listen = (Ipv4Addr::LOCALHOST, 0).into();
    let app = app_with(UdpConfig { peer_ports: vec![port], ..UdpConfig::listening(listen, 0..=0) });
    let failure = app.world().get_resource::<UdpBindFailure>().expect("the failure is kept");
    assert!(
        matches!(failure.error, UdpBindError::PeerPort { port: p, .. } if p == port),
        "{:?}",
        failure.error
    );
}

#[test]
fn an_accept_policy_that_could_admit_no_one_is_refused_at_bind() {
    use stardust::proto::crypto::{KeyParseError, PublicKey};
    use std::collections::HashSet;

    let listen = (Ipv4Addr::LOCALHOST, 0).into();
    let insecure_allowlist = UdpConfig {
        security: UdpSecurity::Insecure,
        accept: AcceptPolicy::Allowlist(HashSet::new()),
        ..UdpConfig::listening(listen, 0..=0)
    };
    let app = app_with(insecure_allowlist);
    let failure = app.world().get_resource::<UdpBindFailure>().expect("the failure is kept");
    assert!(
        matches!(failure.error, UdpBindError::PolicyNeedsSecurity { policy: "Allowlist" }),
        "{:?}",
        failure.error
    );
    assert!(failure.error.to_string().contains("UdpSecurity::Secure"));

    // The first 32-byte string that is not an Ed25519 point.
    let not_a_point = (0u8..=255)
        .map(|b| PublicKey([b; 32]))
        .find(|key| stardust::proto::crypto::TicketVerifier::check_backend(key).is_err())
        .expect("some byte pattern is off the curve");
    let bad_backend = UdpConfig {
        accept: AcceptPolicy::Tickets { backend: not_a_point },
        ..UdpConfig::listening(listen, 0..=0)
    };
    let app = app_with(bad_backend);
    let failure = app.world().get_resource::<UdpBindFailure>().expect("the failure is kept");
    assert!(
        matches!(failure.error, UdpBindError::TicketBackendKey(KeyParseError::NotOnCurve)),
        "{:?}",
        failure.error
    );
}
