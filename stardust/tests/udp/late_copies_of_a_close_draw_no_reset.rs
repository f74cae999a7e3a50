//! A client that closes gracefully sends its close three times; the listener ends the
//! connection on the first copy, and the later copies (and anything else still in flight for
//! that connection) are dropped in silence, not answered with stateless resets.

use std::cell::Cell;

use stardust::prelude::*;
use stardust::proto::sealed::{RESET_LEN, SEALED};

use crate::proxy::{OnPath, Verdict, Way, drive_through, listener_ports};
use crate::scenarios::*;
use crate::support::*;

#[test]
fn a_graceful_close_is_not_answered_with_resets() {
    let OnPath { mut listener, mut client, mut proxy, outgoing } = OnPath::connected();
    let ports = listener_ports(&listener);
    let accepted = connected_accepted(&mut listener)[0];

    disconnect(&mut client, outgoing, "bye");
    // Read by the stop condition while the observer counts: a Cell lets both closures see it.
    let closes_up = Cell::new(0);
    let mut resets_down = 0;
    let mut rounds = 0;
    drive_through(
        &mut proxy,
        &mut [&mut listener, &mut client],
        DEADLINE,
        |seen| {
            let sealed = seen.bytes.first() == Some(&SEALED);
            match seen.way {
                Way::Up if sealed => closes_up.set(closes_up.get() + 1),
                Way::Down if sealed && seen.bytes.len() == RESET_LEN => resets_down += 1,
                _ => {}
            }
            Verdict::Pass
        },
        |apps, _| {
            // Some rounds past the listener's seeing the close and the client's sending all
            // three copies, for the late copies to land (a loaded machine may space them out).
            if disconnect_reason(apps[0], accepted).is_some() && closes_up.get() >= 3 {
                rounds += 1;
            }
            rounds > 20
        },
    );
    assert!(disconnect_reason(&listener, accepted).is_some(), "the listener saw no close");
    let closes_up = closes_up.get();
    assert!(closes_up >= 3, "the client sent its close three times ({closes_up} sealed up)");
    assert_eq!(resets_down, 0, "late copies of the close were answered with resets");
    let transport = listener.world().resource::<UdpTransport>();
    assert_eq!(transport.port_stats(ports[1]).unwrap().resets_sent, 0);
}
