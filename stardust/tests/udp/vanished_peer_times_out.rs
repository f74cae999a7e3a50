//! A peer that stops answering without closing (its App is no longer run, so its socket stays
//! open but silent) is reported `TimedOut` on the other side once the idle timeout passes,
//! whichever side vanished; while both run, keep-alives hold an idle connection open well past
//! the timeout.

use std::time::{Duration, Instant};

use crate::scenarios::*;
use crate::support::*;
use bevy::prelude::*;
use stardust::prelude::*;

/// Long enough that a frame stalled by the heavy tests running beside this one in the same
/// process (debug build, one shared task pool) is not taken for a vanished peer.
const IDLE_TIMEOUT: Duration = Duration::from_secs(3);

/// A connected listener/client pair with a 3 s idle timeout on both sides, idle for two
/// timeouts (only keep-alives flow) and still connected.
fn idle_pair() -> (App, App, Entity, Entity) {
    let mut listener = app_with(with_timeouts(UdpConfig::loopback(1), IDLE_TIMEOUT));
    let mut client = app_with(with_timeouts(UdpConfig::default(), IDLE_TIMEOUT));
    let (outgoing, accepted) = connect_one(&mut listener, &mut client);
    let held = drive_for(&mut [&mut listener, &mut client], 2 * IDLE_TIMEOUT, |apps| {
        is_connected(apps[0], accepted) && is_connected(apps[1], outgoing)
    });
    assert_eq!(
        held,
        Ok(()),
        "an idle connection with keep-alives dropped: listener side {:?}, client side {:?}",
        disconnect_reason(&listener, accepted),
        disconnect_reason(&client, outgoing)
    );
    (listener, client, outgoing, accepted)
}

/// Runs only `survivor` until it reports `peer` disconnected; returns the reason and how long
/// it took.
fn wait_alone(survivor: &mut App, peer: Entity) -> (Option<DisconnectReason>, Duration) {
    let stopped = Instant::now();
    drive(&mut [survivor], DEADLINE, |apps| disconnect_reason(apps[0], peer).is_some());
    (disconnect_reason(survivor, peer), stopped.elapsed())
}

#[test]
fn a_silent_client_times_out_at_the_listener() {
    let (mut listener, client, _, accepted) = idle_pair();
    let (reason, after) = wait_alone(&mut listener, accepted);
    // No lower bound on `after`: the silence may have begun before the client stopped (a
    // loaded machine stalls both Apps' frames), and only the reason says why it ended.
    assert_eq!(reason, Some(DisconnectReason::TimedOut), "after {after:?}");
    run_rounds(&mut [&mut listener], 3);
    assert!(listener.world().resource::<UdpTransport>().port_table().unwrap().is_empty());
    drop(client);
}

#[test]
fn a_silent_listener_times_out_at_the_client() {
    let (listener, mut client, outgoing, _) = idle_pair();
    let (reason, after) = wait_alone(&mut client, outgoing);
    assert_eq!(reason, Some(DisconnectReason::TimedOut), "after {after:?}");
    run_rounds(&mut [&mut client], 3);
    assert_eq!(client.world().resource::<UdpTransport>().client_ports().len(), 0);
    drop(listener);
}
