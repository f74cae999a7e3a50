//! The listen port is read at most once per `listen_poll_interval`: a connection request that
//! arrives just after a read waits for the next one, and is then accepted. (The peer ports
//! are read every frame; the other tests run with the default interval of 1 ms.)

use std::time::{Duration, Instant};

use crate::support::*;
use stardust::prelude::*;

const INTERVAL: Duration = Duration::from_millis(400);

#[test]
fn a_request_waits_for_the_next_read_of_the_listen_port_then_connects() {
    let mut listener =
        app_with(UdpConfig { listen_poll_interval: INTERVAL, ..UdpConfig::loopback(1) });
    let addr = listen_addr(&listener);
    // The first frame reads the (empty) listen port: the next read is due INTERVAL later.
    // The read happens inside the frame, so no earlier than `first_read`.
    let first_read = Instant::now();
    listener.update();
    let mut client = connecting_app();
    let peer = connect(&mut client, addr);

    // Well inside the interval nothing can have read the request.
    let early = run_until_within(&mut [&mut listener, &mut client], 1_000, INTERVAL / 4, |apps| {
        is_connected(apps[1], peer)
    });
    assert!(!early, "connected before the listen port was due to be read again");
    assert!(first_read.elapsed() < INTERVAL, "this check ran too late to mean anything");
    assert_eq!(state(&client, peer), Some(PeerState::Connecting));

    let connected =
        run_until(&mut [&mut listener, &mut client], |apps| is_connected(apps[1], peer));
    assert!(connected, "never connected: {:?}", state(&client, peer));
    assert!(
        first_read.elapsed() >= INTERVAL,
        "connected {:?} after the first read, before the interval passed",
        first_read.elapsed()
    );
}
