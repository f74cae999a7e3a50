//! A close forged by someone who does not hold the connection's keys, in the clear (as
//! protocol version 1 took it) or shaped like a sealed close, from the peer's own address and
//! with its connection id, ends nothing on either side; the peer's real close still does.

use std::time::Duration;

use stardust::prelude::*;
use stardust::proto::sealed::{SEALED, sealed_cid};

use crate::proxy::{OnPath, Verdict, drive_through};
use crate::scenarios::*;
use crate::support::*;

#[test]
fn forged_closes_end_nothing_and_a_real_close_still_does() {
    let OnPath { mut listener, mut client, mut proxy, outgoing } = OnPath::connected();
    let accepted = connected_accepted(&mut listener)[0];
    let data_port = udp_peer(&client, outgoing).remote.port();
    let cid = proxy.log.iter().find_map(|seen| sealed_cid(&seen.bytes)).expect("sealed traffic");
    let victim = proxy.clients()[0];

    let plain_close = b"\0\0\0{\"type\":3,\"code\":0,\"data\":\"bye\"}".to_vec();
    let mut sealed_close = vec![SEALED];
    sealed_close.extend_from_slice(&cid.to_be_bytes());
    sealed_close.extend_from_slice(&[0x00, 0x07, 0x03, 0x00, 0x00]);
    sealed_close.extend_from_slice(&[0x5A; 16]);
    for forged in [&plain_close, &sealed_close] {
        for _ in 0..5 {
            proxy.spoof_up(victim, data_port, forged);
            proxy.spoof_down(victim, data_port, forged);
        }
    }
    let mut round = 0;
    let survived = drive_through(
        &mut proxy,
        &mut [&mut listener, &mut client],
        Duration::from_secs(5),
        |_| Verdict::Pass,
        |apps, _| {
            round += 1;
            if !is_connected(apps[0], accepted) || !is_connected(apps[1], outgoing) {
                return true;
            }
            round > 100
        },
    );
    assert!(survived);
    assert!(
        is_connected(&listener, accepted) && is_connected(&client, outgoing),
        "a forged close ended it"
    );
    let dropped = |app: &bevy::app::App, peer| {
        app.world().get::<UdpPeerStats>(peer).unwrap().dropped_unauthenticated
    };
    assert_eq!(
        dropped(&listener, accepted),
        5,
        "the sealed-looking closes, dropped as unauthenticated"
    );
    assert_eq!(dropped(&client, outgoing), 5);

    disconnect(&mut client, outgoing, "a real goodbye");
    let ended = drive_through(
        &mut proxy,
        &mut [&mut listener, &mut client],
        DEADLINE,
        |_| Verdict::Pass,
        |apps, _| disconnect_reason(apps[0], accepted).is_some(),
    );
    assert!(ended, "the real close did not arrive");
    let reason = disconnect_reason(&listener, accepted).unwrap();
    assert_eq!(
        reason,
        DisconnectReason::Requested {
            by: DisconnectInitiator::Remote,
            message: "a real goodbye".into()
        }
    );
}
