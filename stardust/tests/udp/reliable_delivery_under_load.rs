//! Reliable channels over real UDP under load: 8 peers exchange thousands of reliable-ordered
//! and reliable-unordered messages of mixed sizes (some fragmented into tens of datagrams)
//! both ways at once, sent far faster than the receivers read; every message arrives exactly
//! once, ordered ones in order, and nothing is dropped silently. Past the engine's per-channel
//! queue cap the surplus waits (back-pressure) and still arrives, in order.

use std::collections::HashMap;
use std::time::Duration;

use crate::scenarios::*;
use crate::support::*;
use bevy::prelude::*;
use stardust::prelude::*;
use stardust::udp::UdpPeerStats;

/// Reliable unordered channel for events; large enough for the biggest test message.
#[derive(Channel)]
#[channel(reliable, unordered, max_size = 65536, id = 0x000B10)]
struct Events;

const PEERS: usize = 8;
/// Messages per channel, per peer, per direction.
const PER_CHANNEL: usize = 1_500;
/// Messages sent per frame on each channel to each peer: the whole load goes out within a
/// few frames, far faster than one frame's worth of datagrams.
const PER_FRAME: usize = 500;

/// The payload of message `index` from sender `from` (a stable tag) to peer `to` on channel
/// `channel`: a 12-byte header (from, to, channel, index) then filler derived from it. Every
/// 97th message is 8 to 48 KiB (fragmented), the rest 12 to 400 bytes.
fn payload(from: u8, to: u16, channel: u8, index: u32) -> Vec<u8> {
    let seed = u64::from(from) << 48 | u64::from(to) << 32 | u64::from(channel) << 24;
    let mut rng = Bytes64::new(seed ^ u64::from(index).wrapping_mul(0x9E37_79B9));
    let len = if index.is_multiple_of(97) {
        8 * 1024 + rng.below(40 * 1024) as usize
    } else {
        12 + rng.below(389) as usize
    };
    let mut bytes = Vec::with_capacity(len);
    bytes.push(from);
    bytes.push(channel);
    bytes.extend_from_slice(&to.to_be_bytes());
    bytes.extend_from_slice(&index.to_be_bytes());
    bytes.extend_from_slice(&(len as u32).to_be_bytes());
    bytes.extend(rng.bytes(len - bytes.len()));
    bytes
}

/// The message index carried by a payload, after checking the payload is exactly what
/// [`payload`] produces for it.
fn index_of(message: &[u8], from: u8, to: u16, channel: u8) -> u32 {
    assert!(message.len() >= 12, "a {}-byte message is not a test message", message.len());
    let index = u32::from_be_bytes(message[4..8].try_into().unwrap());
    assert!(message == payload(from, to, channel, index), "message {index} arrived corrupted");
    index
}

/// Sends messages `range` on both channels from `app` to each of `peers` (peer `i` gets the
/// tag `i` as `to`).
fn send_batch(app: &mut App, from: u8, peers: &[Entity], range: std::ops::Range<u32>) {
    let (mut chat, mut events) = (Vec::new(), Vec::new());
    for (to, &peer) in peers.iter().enumerate() {
        for index in range.clone() {
            chat.push((peer, payload(from, to as u16, 0, index)));
            events.push((peer, payload(from, to as u16, 1, index)));
        }
    }
    send_all::<Chat>(app, chat);
    send_all::<Events>(app, events);
}

/// Checks what `app` received from `peers` on both channels, if it is everything: ordered
/// messages all present in order, unordered ones each exactly once. Returns whether all
/// arrived; panics on a duplicate, a reordering or a corrupted message.
fn check_received(app: &App, from: u8, peers: &[Entity], per_channel: usize) -> bool {
    let tag: HashMap<Entity, u16> = peers.iter().enumerate().map(|(i, &p)| (p, i as u16)).collect();
    let mut complete = true;
    let mut ordered_next = vec![0u32; peers.len()];
    for (peer, message) in received::<Chat>(app) {
        let to = tag[peer];
        let index = index_of(message, from, to, 0);
        let expected = ordered_next[usize::from(to)];
        assert_eq!(index, expected, "ordered message {index} from peer {to} came out of order");
        ordered_next[usize::from(to)] += 1;
    }
    complete &= ordered_next.iter().all(|&n| n as usize == per_channel);
    let mut seen = vec![vec![false; per_channel]; peers.len()];
    for (peer, message) in received::<Events>(app) {
        let to = tag[peer];
        let index = index_of(message, from, to, 1) as usize;
        assert!(!seen[usize::from(to)][index], "unordered message {index} from {to} arrived twice");
        seen[usize::from(to)][index] = true;
    }
    complete && seen.iter().all(|s| s.iter().all(|&x| x))
}

fn setup() -> (App, App, Vec<Entity>, Vec<Entity>) {
    // One task per port even at 8 peers, so the parallel path carries the load.
    let mut listener = app_with(UdpConfig {
        parallel_min_peers: 0,
        parallel_min_work: Duration::ZERO,
        ..UdpConfig::loopback(4)
    });
    let mut client = connecting_app();
    for app in [&mut listener, &mut client] {
        app.add_channel::<Events>();
        collect::<Events>(app);
    }
    let outgoing = connect_many(&mut client, listen_addr(&listener), PEERS);
    let connected = drive(&mut [&mut listener, &mut client], DEADLINE, |apps| {
        all_connected(apps[1], &outgoing) && connected_accepted(apps[0]).len() == PEERS
    });
    assert!(connected, "the peers did not connect");
    let accepted = counterparts(&mut listener, &client, &outgoing);
    (listener, client, outgoing, accepted)
}

#[test]
fn thousands_of_mixed_size_reliable_messages_arrive_once_both_ways() {
    let (mut listener, mut client, outgoing, accepted) = setup();

    for start in (0..PER_CHANNEL as u32).step_by(PER_FRAME) {
        let range = start..start + PER_FRAME as u32;
        send_batch(&mut client, 1, &outgoing, range.clone());
        send_batch(&mut listener, 2, &accepted, range);
        client.update();
        listener.update();
    }
    // Counting is cheap; the full check (order, content, duplicates) runs once at the end,
    // and a duplicate that made a count look complete fails it.
    let expected = PEERS * PER_CHANNEL;
    let delivered = drive(&mut [&mut listener, &mut client], Duration::from_secs(60), |apps| {
        apps.iter().all(|app| {
            received::<Chat>(app).len() >= expected && received::<Events>(app).len() >= expected
        })
    });
    let counts = (received::<Chat>(&listener).len(), received::<Events>(&listener).len());
    let back = (received::<Chat>(&client).len(), received::<Events>(&client).len());
    assert!(delivered, "not everything arrived: listener got {counts:?}, client got {back:?}");

    // Late duplicates would show up now.
    run_rounds(&mut [&mut listener, &mut client], 50);
    assert_eq!(
        received::<Chat>(&listener).len() + received::<Events>(&listener).len(),
        2 * expected
    );
    assert_eq!(received::<Chat>(&client).len() + received::<Events>(&client).len(), 2 * expected);
    assert!(check_received(&listener, 1, &accepted, PER_CHANNEL));
    assert!(check_received(&client, 2, &outgoing, PER_CHANNEL));
    let per_peer = 2 * PER_CHANNEL as u64;
    for (app, peers) in [(&listener, &accepted), (&client, &outgoing)] {
        for &peer in peers.iter() {
            assert!(is_connected(app, peer), "a peer disconnected under load");
            let stats = app.world().get::<PeerStats>(peer).unwrap();
            assert_eq!(stats.messages_sent, per_peer, "{stats:?}");
            assert_eq!(stats.messages_received, per_peer, "{stats:?}");
            assert_eq!((stats.dropped_unknown_channel, stats.dropped_oversize), (0, 0));
        }
        let transport = app.world().resource::<UdpTransport>();
        for (port, kind, stats) in transport.iter_port_stats() {
            assert_eq!(stats.dropped_messages, 0, "{kind:?} port {port} dropped messages");
            assert_eq!(stats.dropped_unknown_source, 0, "{kind:?} port {port}: {stats:?}");
        }
    }
    assert!(
        lifecycle(&listener).disconnected.is_empty() && lifecycle(&client).disconnected.is_empty()
    );
}

/// More messages than one channel may hold in the engine (65 536 by default), sent in one
/// frame: the surplus waits in the transport, is counted as queued, and still arrives in order.
#[test]
fn a_sender_past_the_channel_queue_cap_is_held_back_not_dropped() {
    const BURST: u32 = 70_000;
    let (mut listener, mut client, outgoing, accepted) = setup();
    let (to, from) = (outgoing[0], accepted[0]);
    let burst = (0..BURST).map(|index| (from, index.to_be_bytes().to_vec())).collect();
    send_all::<Chat>(&mut listener, burst);
    let mut held_back = 0;
    let delivered = drive(&mut [&mut listener, &mut client], Duration::from_secs(60), |apps| {
        let queued = apps[0].world().get::<UdpPeerStats>(from).unwrap().queued_messages;
        held_back = held_back.max(queued);
        received::<Chat>(apps[1]).len() >= BURST as usize
    });
    let got = received::<Chat>(&client);
    assert!(delivered, "only {} of {BURST} messages arrived", got.len());
    assert!(held_back > 0, "the burst never hit back-pressure; raise BURST past the queue cap");
    for (i, (peer, message)) in got.iter().enumerate() {
        assert_eq!(*peer, to);
        assert_eq!(message.as_slice(), (i as u32).to_be_bytes(), "message {i} out of order");
    }
    assert_eq!(got.len(), BURST as usize, "extra messages arrived");
    assert!(is_connected(&listener, from) && is_connected(&client, to));
    let transport = listener.world().resource::<UdpTransport>();
    assert!(transport.iter_port_stats().all(|(_, _, stats)| stats.dropped_messages == 0));
}
