//! A listener that goes away (its App dropped) sends each peer its sealed close three times
//! back to back, so one lost datagram does not leave the peer waiting for the idle timeout;
//! the peer takes the first and ends with `TransportClosed`.

use stardust::prelude::*;
use stardust::proto::sealed::SEALED;

use crate::proxy::{OnPath, Verdict, Way, drive_through};
use crate::scenarios::*;
use crate::support::*;

#[test]
fn a_dropped_listener_sends_three_closes_and_the_peer_takes_one() {
    let OnPath { listener, mut client, mut proxy, outgoing } = OnPath::connected();
    let data_port = udp_peer(&client, outgoing).remote.port();

    // Let everything in flight settle, then watch only what the drop sends.
    run_rounds(&mut [&mut client], 2);
    proxy.pump(|_| Verdict::Pass);
    proxy.log.clear();
    drop(listener);
    let mut goodbyes = 0;
    let ended = drive_through(
        &mut proxy,
        &mut [&mut client],
        DEADLINE,
        |seen| {
            if seen.way == Way::Down && seen.port == data_port && seen.bytes[0] == SEALED {
                goodbyes += 1;
            }
            Verdict::Pass
        },
        |apps, _| disconnect_reason(apps[0], outgoing).is_some(),
    );
    assert!(ended, "the client never heard the goodbye");
    assert_eq!(disconnect_reason(&client, outgoing), Some(DisconnectReason::TransportClosed));
    assert_eq!(goodbyes, 3, "three copies of the close, nothing else from the data port");
}
