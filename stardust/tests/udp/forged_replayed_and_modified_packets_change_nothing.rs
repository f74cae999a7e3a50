//! An attacker on the path who replays, modifies, forges (with a far-ahead packet number, as a
//! blind killer would) and sprays junk with a victim's address and connection id changes
//! nothing: every such datagram is dropped and counted, never as a protocol violation, and the
//! victim's reliable traffic arrives complete, once and in order, both ways.

use std::collections::VecDeque;
use std::time::Duration;

use stardust::prelude::*;
use stardust::proto::sealed::{SEALED, sealed_cid};

use crate::proxy::{OnPath, Proxy, Verdict, Way, drive_through};
use crate::scenarios::*;
use crate::support::*;

const MESSAGES: usize = 200;

#[test]
fn forged_replayed_modified_and_far_ahead_packets_are_dropped_and_counted() {
    let OnPath { mut listener, mut client, mut proxy, outgoing } = OnPath::connected();
    let accepted = connected_accepted(&mut listener)[0];
    let data_port = udp_peer(&client, outgoing).remote.port();

    let mut held: VecDeque<Vec<u8>> = VecDeque::new();
    let mut attacks = 0u64;
    let mut sent = 0usize;
    let tamper = |seen: &crate::proxy::Seen| {
        let Some(_cid) = sealed_cid(&seen.bytes) else { return Verdict::Pass };
        if seen.way != Way::Up || seen.port != data_port {
            return Verdict::Pass;
        }
        // Keep every packet to replay later; send a flipped copy; forge a far-ahead one.
        held.push_back(seen.bytes.clone());
        let mut flipped = seen.bytes.clone();
        let last = flipped.len() - 1;
        flipped[last / 2] ^= 0x40;
        let mut far_ahead = seen.bytes.clone();
        let pn = u16::from_be_bytes([far_ahead[9], far_ahead[10]]).wrapping_add(30_000);
        far_ahead[9..11].copy_from_slice(&pn.to_be_bytes());
        let mut out = vec![seen.bytes.clone(), flipped, far_ahead];
        attacks += 2;
        if held.len() > 20 {
            // Replayed twice, twenty packets later.
            let old = held.pop_front().unwrap();
            out.push(old.clone());
            out.push(old);
            attacks += 2;
        }
        Verdict::Send(out)
    };
    let mut tamper = tamper;
    let done = drive_through(
        &mut proxy,
        &mut [&mut listener, &mut client],
        Duration::from_secs(30),
        &mut tamper,
        |apps, proxy| {
            if sent < MESSAGES {
                let line = format!("c{sent}");
                send::<Chat>(apps[1], outgoing, line.as_bytes()).unwrap();
                send::<Chat>(apps[0], accepted, format!("s{sent}").as_bytes()).unwrap();
                sent += 1;
                // Junk with the victim's connection id, from the victim's address.
                let client_addr = proxy.clients()[0];
                let mut junk = vec![SEALED];
                junk.extend_from_slice(&sealed_cid_of(proxy).to_be_bytes());
                junk.extend_from_slice(&[0xAB; 40]);
                proxy.spoof_up(client_addr, data_port, &junk);
            }
            received::<Chat>(apps[0]).len() == MESSAGES
                && received::<Chat>(apps[1]).len() == MESSAGES
        },
    );
    let _ = &mut tamper;
    assert!(
        done,
        "traffic stopped: {} and {} of {MESSAGES}",
        received::<Chat>(&listener).len(),
        received::<Chat>(&client).len()
    );
    let expected = |prefix: char| -> Vec<Vec<u8>> {
        (0..MESSAGES).map(|i| format!("{prefix}{i}").into_bytes()).collect()
    };
    let got = |app: &bevy::app::App| -> Vec<Vec<u8>> {
        received::<Chat>(app).iter().map(|(_, m)| m.clone()).collect()
    };
    assert_eq!(got(&listener), expected('c'), "the listener got something else, or twice");
    assert_eq!(got(&client), expected('s'));
    assert!(is_connected(&listener, accepted) && is_connected(&client, outgoing));
    let stats = *listener.world().get::<UdpPeerStats>(accepted).unwrap();
    assert!(
        stats.dropped_unauthenticated >= attacks + MESSAGES as u64 / 2,
        "{stats:?} after {attacks} attacks"
    );
    assert!(
        lifecycle(&listener).disconnected.is_empty(),
        "{:?}",
        lifecycle(&listener).disconnected
    );
}

/// The connection id of the one connection the proxy carries, read from its log.
fn sealed_cid_of(proxy: &Proxy) -> u64 {
    proxy.log.iter().find_map(|seen| sealed_cid(&seen.bytes)).expect("a sealed packet passed")
}
