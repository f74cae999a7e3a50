//! The `max_size` the backend gives replicon's connected clients is exactly the largest
//! message Stardust's engine sends unfragmented: a message of that size on replicon's
//! unreliable channel leaves as one whole frame in one datagram within the MTU, one byte more
//! is split into fragments.
//! Checked on the engine itself, in the clear and sealed (where the session's packets are
//! shorter by the sealing overhead).

use std::time::Instant;

use bytes::Bytes;
use stardust::proto::packet::decode_packet;
use stardust::proto::sealed::SEAL_OVERHEAD;
use stardust::proto::{ChannelTable, Session, SessionConfig};
use stardust_replicon::StardustRepliconPlugin;
use stardust_replicon::channels::{channel_config, server_channel_id};
use stardust_replicon::message_size::unfragmented_max_size;

/// The datagrams one message of `size` bytes leaves in, on a fresh session of `mtu`: per
/// datagram its length and whether each of its frames is a fragment.
fn datagrams(mtu: usize, size: usize) -> Vec<(usize, Vec<bool>)> {
    let id = server_channel_id(1).expect("replicon's mutation channel");
    let config = channel_config(
        bevy_replicon::shared::backend::channels::Channel::Unreliable,
        &StardustRepliconPlugin::default(),
    );
    let table = ChannelTable::new([(id, config)]).expect("valid channel");
    let now = Instant::now();
    let mut session =
        Session::new(SessionConfig { mtu, ..SessionConfig::default() }, table, now, 0, 0);
    session.send(id, Bytes::from(vec![7; size])).expect("within max_size");
    let mut lengths = Vec::new();
    let mut buf = Vec::new();
    while lengths.len() < 10 && session.poll_transmit(now, &mut buf) {
        let datagram = Bytes::from(core::mem::take(&mut buf));
        let (_, frames) = decode_packet(datagram.clone()).expect("a valid packet");
        let fragments = frames.iter().map(|(frame, _)| frame.fragment.is_some()).collect();
        lengths.push((datagram.len(), fragments));
    }
    lengths
}

#[test]
fn max_size_is_the_largest_single_datagram_message() {
    for mtu in [1200, 1400, 576] {
        for sealed in [false, true] {
            let max_size = unfragmented_max_size(mtu, sealed);
            let session_mtu = if sealed { mtu - SEAL_OVERHEAD } else { mtu };
            let whole = datagrams(session_mtu, max_size);
            assert_eq!(whole.len(), 1, "mtu {mtu} sealed {sealed}: {whole:?}");
            assert_eq!(whole[0].1, vec![false], "one whole frame: {whole:?}");
            assert!(whole[0].0 <= session_mtu, "within the MTU: {whole:?}");
            let split = datagrams(session_mtu, max_size + 1);
            let fragments: Vec<bool> = split.into_iter().flat_map(|(_, frames)| frames).collect();
            assert_eq!(fragments, vec![true, true], "mtu {mtu} sealed {sealed}: one byte more");
        }
    }
}
