//! The UDP transport fills `PeerStats`' packet fates from the engine: after traffic both
//! ways, each side counts the data packets it sent since connect and over the loss window,
//! with acknowledged + presumed lost never above sent, the window inside the totals, the
//! loss figure equal to the window's, and every acknowledged packet one the other side
//! really received.

use crate::scenarios::*;
use crate::support::*;
use stardust::prelude::*;
use stardust::udp::UdpPeerStats;

const MESSAGES: u64 = 200;

#[test]
fn peer_stats_count_sent_acknowledged_and_lost_packets() {
    let mut listener = listener_app(2);
    let mut client = connecting_app();
    let (outgoing, accepted) = connect_one(&mut listener, &mut client);
    for i in 0..MESSAGES {
        send::<Chat>(&mut client, outgoing, &[i as u8; 64]).unwrap();
        send::<Chat>(&mut listener, accepted, &[i as u8; 64]).unwrap();
        if i % 20 == 0 {
            listener.update();
            client.update();
        }
    }
    // Every message delivered, and every packet that carried one acknowledged or presumed lost.
    let settled = drive(&mut [&mut listener, &mut client], DEADLINE, |apps| {
        apps.iter().all(|app| received::<Chat>(app).len() == MESSAGES as usize)
            && [(&*apps[0], accepted), (&*apps[1], outgoing)].iter().all(|(app, peer)| {
                let stats = app.world().get::<PeerStats>(*peer).unwrap();
                stats.packets_since_connect.acked > 0 && stats.packets_in_window.acked > 0
            })
    });
    assert!(settled, "traffic did not settle");

    let sides =
        [(&listener, accepted, &client, outgoing), (&client, outgoing, &listener, accepted)];
    for (app, peer, other, counterpart) in sides {
        let stats = app.world().get::<PeerStats>(peer).unwrap();
        let (total, window) = (stats.packets_since_connect, stats.packets_in_window);
        assert!(total.acked + total.lost <= total.sent, "{stats:?}");
        assert!(window.acked + window.lost <= window.sent, "{stats:?}");
        assert!(window.sent <= total.sent && window.acked <= total.acked, "{stats:?}");
        assert_eq!(stats.packet_loss, window.loss().unwrap_or(0.0) as f32, "{stats:?}");
        // Data packets are some of the datagrams the transport sent for this peer.
        let udp = app.world().get::<UdpPeerStats>(peer).unwrap();
        assert!(total.sent <= udp.packets_sent, "{stats:?} {udp:?}");
        // An acknowledged packet arrived: the other side received at least as many.
        let theirs = other.world().get::<UdpPeerStats>(counterpart).unwrap();
        assert!(total.acked <= theirs.packets_received, "{stats:?} vs {theirs:?}");
    }
}
