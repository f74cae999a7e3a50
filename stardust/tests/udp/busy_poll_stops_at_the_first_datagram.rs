//! `UdpConfig::busy_poll`: with nothing waiting, the receive phase keeps polling for the
//! whole busy poll; a datagram waiting (or landing meanwhile) ends it at once and is
//! delivered that frame; an App with no port to read does not busy-poll. Checked with the
//! ports read one after the other (the default below `parallel_min_peers`) and with one task
//! per port.

use std::time::{Duration, Instant};

use crate::support::*;
use bevy::prelude::*;
use stardust::prelude::*;

const BUSY_POLL: Duration = Duration::from_millis(10);

/// A listener with two peer ports and `BUSY_POLL`, its ports run in parallel or not, and a
/// client connected to it.
fn connected_pair(parallel: bool) -> (App, App, Entity) {
    let mut config = UdpConfig { busy_poll: BUSY_POLL, ..UdpConfig::loopback(2) };
    if parallel {
        config.parallel_min_peers = 0;
        config.parallel_min_work = Duration::ZERO;
    }
    let mut listener = app_with(config);
    let mut client = connecting_app();
    let peer = connect(&mut client, listen_addr(&listener));
    let connected = run_until(&mut [&mut listener, &mut client], |apps| {
        is_connected(apps[1], peer) && connected_accepted(apps[0]).len() == 1
    });
    assert!(connected, "never connected: {:?}", state(&client, peer));
    // Let the handshake's last datagrams (acks) land and be read.
    run_rounds(&mut [&mut listener, &mut client], 5);
    (listener, client, peer)
}

fn timed_update(app: &mut App) -> Duration {
    let start = Instant::now();
    app.update();
    start.elapsed()
}

fn idle_frames_poll_for_the_whole_busy_poll(parallel: bool) {
    let (mut listener, _client, _) = connected_pair(parallel);
    // The client is not updated: nothing can arrive at the listener.
    for _ in 0..3 {
        let took = timed_update(&mut listener);
        assert!(took >= BUSY_POLL, "an idle frame took {took:?}, less than the busy poll");
    }
}

fn a_waiting_datagram_ends_the_busy_poll_and_arrives(parallel: bool) {
    let (mut listener, mut client, peer) = connected_pair(parallel);
    let mut fastest = Duration::MAX;
    for round in 0..3u8 {
        let before = received::<Chat>(&listener).len();
        send::<Chat>(&mut client, peer, &[round; 8]).unwrap();
        client.update();
        // On loopback the datagram is in the listener's socket once `sendmmsg` returned; the
        // pause is only margin.
        std::thread::sleep(Duration::from_millis(1));
        fastest = fastest.min(timed_update(&mut listener));
        let got = &received::<Chat>(&listener)[before..];
        assert_eq!(got.len(), 1, "round {round}: the message was not read in that frame");
        assert_eq!(got[0].1, vec![round; 8]);
    }
    // Best of three, so that one frame descheduled on a loaded machine does not fail it.
    assert!(fastest < BUSY_POLL, "every frame with a datagram waiting busy-polled ({fastest:?})");
}

#[test]
fn idle_frames_poll_for_the_whole_busy_poll_one_port_after_another() {
    idle_frames_poll_for_the_whole_busy_poll(false);
}

#[test]
fn idle_frames_poll_for_the_whole_busy_poll_one_task_per_port() {
    idle_frames_poll_for_the_whole_busy_poll(true);
}

#[test]
fn a_waiting_datagram_ends_the_busy_poll_and_arrives_one_port_after_another() {
    a_waiting_datagram_ends_the_busy_poll_and_arrives(false);
}

#[test]
fn a_waiting_datagram_ends_the_busy_poll_and_arrives_one_task_per_port() {
    a_waiting_datagram_ends_the_busy_poll_and_arrives(true);
}

#[test]
fn an_app_with_no_port_to_read_does_not_busy_poll() {
    let mut app = app_with(UdpConfig { busy_poll: BUSY_POLL, ..UdpConfig::default() });
    let fastest = (0..3).map(|_| timed_update(&mut app)).min().unwrap();
    // Best of three, so that one frame descheduled on a loaded machine does not fail it.
    assert!(fastest < BUSY_POLL, "a connect-only App with no connection busy-polled ({fastest:?})");
}

#[test]
fn busy_polling_apps_deliver_reliable_messages_both_ways_in_order() {
    let config = |c: UdpConfig| UdpConfig { busy_poll: Duration::from_micros(200), ..c };
    let mut listener = app_with(config(UdpConfig::loopback(1)));
    let mut client = app_with(config(UdpConfig::default()));
    let peer = connect(&mut client, listen_addr(&listener));
    assert!(run_until(&mut [&mut listener, &mut client], |apps| {
        is_connected(apps[1], peer) && connected_accepted(apps[0]).len() == 1
    }));
    let accepted = connected_accepted(&mut listener)[0];
    for i in 0..200u16 {
        send::<Chat>(&mut client, peer, &i.to_le_bytes()).unwrap();
        send::<Chat>(&mut listener, accepted, &i.to_le_bytes()).unwrap();
    }
    let done = run_until(&mut [&mut listener, &mut client], |apps| {
        received::<Chat>(apps[0]).len() == 200 && received::<Chat>(apps[1]).len() == 200
    });
    assert!(
        done,
        "{} and {} of 200 arrived",
        received::<Chat>(&listener).len(),
        received::<Chat>(&client).len()
    );
    for app in [&listener, &client] {
        let order: Vec<u16> = received::<Chat>(app)
            .iter()
            .map(|(_, bytes)| u16::from_le_bytes([bytes[0], bytes[1]]))
            .collect();
        assert_eq!(order, (0..200).collect::<Vec<_>>());
    }
}
