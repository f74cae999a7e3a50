//! The session's loss figures over [`LOSS_WINDOW`] and since it began read what the link did:
//! about 20 % on a link that drops 20 % of datagrams, high loss a second after a 3 s outage
//! (not the 0.0 % a smoothed estimate read then), and totals that add up.

use std::time::Duration;

use bytes::Bytes;
use stardust_proto::{
    ChannelConfig, ChannelId, ChannelTable, LOSS_WINDOW, Ordering, PacketFates, Reliability,
    SessionConfig,
};

use crate::netsim::{LinkConfig, Side};
use crate::session_pair::SessionPair;

const CHAT: u32 = 1;
const MOVES: u32 = 2;

/// A game's traffic: a reliable ordered chat line every 100 ms and an unreliable position
/// every 10 ms, from A to B.
fn game_pair(seed: u64, link: LinkConfig) -> SessionPair {
    let reliable = ChannelConfig::new(Reliability::Reliable, Ordering::Ordered);
    let unreliable = ChannelConfig::new(Reliability::Unreliable, Ordering::Sequenced);
    let table = ChannelTable::new([
        (ChannelId::new(CHAT).unwrap(), reliable),
        (ChannelId::new(MOVES).unwrap(), unreliable),
    ])
    .unwrap();
    SessionPair::new(seed, link, table, SessionConfig::default())
}

/// Plays `ticks` of 10 ms, checking after each that the fates add up.
fn play(pair: &mut SessionPair, ticks: u32) {
    for tick in 0..ticks {
        if tick % 10 == 0 {
            pair.a.send(ChannelId::new(CHAT).unwrap(), Bytes::from_static(&[7; 100])).unwrap();
        }
        pair.a.send(ChannelId::new(MOVES).unwrap(), Bytes::from_static(&[1; 8])).unwrap();
        pair.run_until(Duration::from_millis(10), |_| false);
        pair.drain(Side::B);
        let stats = pair.a.stats();
        assert_adds_up(&stats.recent);
        assert_adds_up(&stats.total);
        assert!(stats.recent.sent <= stats.total.sent, "{stats:?}");
        assert!(stats.total.sent <= stats.packets_sent, "{stats:?}");
    }
}

fn assert_adds_up(fates: &PacketFates) {
    assert!(fates.acked + fates.lost <= fates.sent, "{fates:?}");
}

#[test]
fn windowed_loss_reads_a_20_percent_link_within_a_few_points() {
    let mut pair = game_pair(2024, LinkConfig { loss: 0.2, ..LinkConfig::clean(ms(30)) });
    play(&mut pair, 500);
    // Every second for 20 s, the last 5 s of packets (300 to 500) read 20 % within a few points.
    for _ in 0..20 {
        play(&mut pair, 100);
        let stats = pair.a.stats();
        assert!(stats.recent.sent >= 300, "a 4.5 to 5 s window of packets: {stats:?}");
        assert!(
            (0.13..=0.27).contains(&stats.packet_loss),
            "window loss {:.3}: {stats:?}",
            stats.packet_loss
        );
        assert_eq!(Some(stats.packet_loss), stats.recent.loss());
    }
    // Over everything, the loss matches what the link dropped from A (a data packet also
    // counts lost when every ack for it was dropped, rare with redundant ack blocks).
    let total = pair.a.stats().total;
    let dropped = pair.sim.stats.lost[0] as f64 / pair.sim.stats.sent[0] as f64;
    let loss = total.loss().unwrap();
    assert!((loss - dropped).abs() < 0.03, "total {loss:.3} vs link {dropped:.3}: {total:?}");
    assert!(total.sent > 2000, "{total:?}");
}

#[test]
fn a_3_second_outage_reads_high_loss_a_second_after_recovery() {
    let clean = LinkConfig::clean(ms(30));
    let mut pair = game_pair(7, clean);
    play(&mut pair, 400);
    assert_eq!(pair.a.stats().packet_loss, 0.0, "{:?}", pair.a.stats());
    let outage = LinkConfig { loss: 1.0, ..clean };
    pair.sim.set_link(Side::A, outage);
    pair.sim.set_link(Side::B, outage);
    play(&mut pair, 300);
    pair.sim.set_link(Side::A, clean);
    pair.sim.set_link(Side::B, clean);
    play(&mut pair, 100);
    let stats = pair.a.stats();
    // The window holds ~3 s lost of ~5 s sent.
    assert!(
        stats.packet_loss > 0.4,
        "{:.3} a second after the outage: {stats:?}",
        stats.packet_loss
    );
    assert!(stats.recent.lost >= 200, "{stats:?}");
    // Once the outage has left the window, loss reads zero again; the totals keep it.
    play(&mut pair, 600);
    let stats = pair.a.stats();
    assert_eq!(stats.packet_loss, 0.0, "{stats:?}");
    assert!(stats.total.lost >= 200, "{stats:?}");
}

#[test]
fn totals_account_for_every_data_packet_once_the_link_is_quiet() {
    let mut pair = game_pair(99, LinkConfig::harsh());
    play(&mut pair, 1000);
    // Stop sending; after the linger every packet's fate is known.
    pair.run_until(Duration::from_secs(10), |p| p.a.is_flushed());
    pair.run_until(LOSS_WINDOW * 2, |_| false);
    let stats = pair.a.stats();
    let total = stats.total;
    assert_eq!(total.acked + total.lost, total.sent, "{stats:?}");
    assert_eq!(total.in_flight(), 0);
    // Every presumed-lost packet that was never acknowledged has been forgotten as lost.
    assert_eq!(total.lost, stats.packets_lost, "{stats:?}");
    assert!(stats.packets_declared_lost >= total.lost, "{stats:?}");
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}
