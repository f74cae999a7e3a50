//! Every kind of bad game datagram is dropped, counted under its own reason, delivers nothing
//! and leaves the session working.

use std::time::{Duration, Instant};

use bytes::Bytes;
use stardust_proto::packet::{
    AckBlock, FragmentInfo, FrameHeader, PacketType, encode_frame, encode_header,
};
use stardust_proto::{
    ChannelConfig, ChannelId, ChannelTable, DropReason, Ordering, Reliability, Session,
    SessionConfig,
};

const PEER_FIRST_SEQ: u16 = 500;

fn channel(n: u32) -> ChannelId {
    ChannelId::new(n).unwrap()
}

fn session() -> (Session, Instant) {
    let table = ChannelTable::new([
        (
            channel(1),
            ChannelConfig::new(Reliability::Reliable, Ordering::Ordered).with_max_size(3000),
        ),
        (
            channel(2),
            ChannelConfig::new(Reliability::Unreliable, Ordering::Unordered).with_max_size(100),
        ),
    ])
    .unwrap();
    let now = Instant::now();
    (Session::new(SessionConfig::default(), table, now, 1, PEER_FIRST_SEQ), now)
}

/// A data packet numbered `seq` with the given frames.
fn packet(seq: u16, frames: &[(FrameHeader, &[u8])]) -> Vec<u8> {
    let mut buf = Vec::new();
    encode_header(PacketType::Data, seq, &[AckBlock { ack: 0, ack_bits: 0 }], &mut buf);
    for (header, payload) in frames {
        encode_frame(header, payload, &mut buf);
    }
    buf
}

fn frame(ch: u32, msg_seq: u16) -> FrameHeader {
    FrameHeader { channel: channel(ch), msg_seq, fragment: None }
}

fn assert_dropped(datagram: &[u8], reason: DropReason) {
    let (mut s, now) = session();
    s.handle_datagram(now, datagram);
    assert_eq!(s.stats().drops.get(reason), 1, "expected {reason:?}, got {:?}", s.stats().drops);
    assert_eq!(s.stats().drops.total(), 1);
    assert!(s.poll_message().is_none(), "bad input delivered a message");
    assert_eq!(s.stats().packets_received, 0);
    // Still works: a good packet is delivered afterwards.
    s.handle_datagram(now, &packet(PEER_FIRST_SEQ, &[(frame(1, 0), b"ok")]));
    assert_eq!(s.poll_message(), Some((channel(1), Bytes::from_static(b"ok"))));
}

#[test]
fn truncated_packets_are_dropped() {
    let good = packet(PEER_FIRST_SEQ, &[(frame(1, 0), b"hello")]);
    for cut in [1, 5, 14 + 3, good.len() - 1] {
        assert_dropped(&good[..cut], DropReason::Truncated);
    }
}

#[test]
fn oversized_datagrams_are_dropped() {
    assert_dropped(&vec![1u8; 1473], DropReason::Oversized);
}

#[test]
fn zero_message_header_is_not_game_traffic() {
    assert_dropped(b"\0\0\0{\"type\":0}", DropReason::ZeroMessage);
}

#[test]
fn unknown_packet_type_is_dropped() {
    let mut p = packet(PEER_FIRST_SEQ, &[]);
    p[0] = 0x7F;
    assert_dropped(&p, DropReason::UnknownType);
}

#[test]
fn undefined_flags_and_frames_in_ack_packets_are_malformed() {
    let mut p = packet(PEER_FIRST_SEQ, &[(frame(1, 0), b"x")]);
    p[14 + 3] = 0x80;
    assert_dropped(&p, DropReason::Malformed);
    let mut p = packet(PEER_FIRST_SEQ, &[(frame(1, 0), b"x")]);
    p[0] = PacketType::Ack.to_byte();
    assert_dropped(&p, DropReason::Malformed);
    let mut p = packet(PEER_FIRST_SEQ, &[]);
    p[3] = 200;
    assert_dropped(&p, DropReason::Malformed);
}

#[test]
fn unknown_channels_are_dropped() {
    assert_dropped(&packet(PEER_FIRST_SEQ, &[(frame(77, 0), b"x")]), DropReason::UnknownChannel);
}

#[test]
fn messages_over_the_channel_limit_are_dropped() {
    let big = [0u8; 101];
    assert_dropped(&packet(PEER_FIRST_SEQ, &[(frame(2, 0), &big)]), DropReason::MessageTooLarge);
}

#[test]
fn impossible_fragments_are_dropped() {
    let bad = |index, count| FrameHeader {
        channel: channel(1),
        msg_seq: 0,
        fragment: Some(FragmentInfo { index, count }),
    };
    // Index beyond count, and a one-fragment "fragmented" message: rejected by the decoder.
    for (index, count) in [(5, 5), (0, 1), (0, 0)] {
        assert_dropped(
            &packet(PEER_FIRST_SEQ, &[(bad(index, count), b"x")]),
            DropReason::BadFragment,
        );
    }
    // A count no 3000-byte channel can need: rejected when reassembling.
    let (mut s, now) = session();
    s.handle_datagram(now, &packet(PEER_FIRST_SEQ, &[(bad(0, 60_000), b"xx")]));
    assert_eq!(s.stats().drops.get(DropReason::BadFragment), 1);
    // Fragments that disagree on their count.
    let (mut s, now) = session();
    s.handle_datagram(now, &packet(PEER_FIRST_SEQ, &[(bad(0, 3), &[1; 1000])]));
    s.handle_datagram(now, &packet(PEER_FIRST_SEQ + 1, &[(bad(1, 4), &[1; 1000])]));
    assert_eq!(s.stats().drops.get(DropReason::BadFragment), 1);
    assert!(s.poll_message().is_none());
}

#[test]
fn duplicate_and_stale_packets_are_dropped() {
    let (mut s, now) = session();
    let p = packet(PEER_FIRST_SEQ, &[(frame(2, 0), b"once")]);
    s.handle_datagram(now, &p);
    s.handle_datagram(now, &p);
    assert_eq!(s.stats().drops.get(DropReason::DuplicatePacket), 1);
    assert_eq!(s.poll_message(), Some((channel(2), Bytes::from_static(b"once"))));
    assert_eq!(s.poll_message(), None);
    s.handle_datagram(now, &packet(PEER_FIRST_SEQ.wrapping_add(2000), &[]));
    s.handle_datagram(now, &packet(PEER_FIRST_SEQ.wrapping_add(1), &[(frame(2, 1), b"old")]));
    assert_eq!(s.stats().drops.get(DropReason::StalePacket), 1);
    assert_eq!(s.poll_message(), None);
}

#[test]
fn duplicate_reliable_messages_in_new_packets_are_delivered_once() {
    let (mut s, now) = session();
    s.handle_datagram(now, &packet(PEER_FIRST_SEQ, &[(frame(1, 0), b"a")]));
    s.handle_datagram(now, &packet(PEER_FIRST_SEQ + 1, &[(frame(1, 0), b"a")]));
    assert_eq!(s.stats().drops.get(DropReason::DuplicateMessage), 1);
    assert_eq!(s.poll_message(), Some((channel(1), Bytes::from_static(b"a"))));
    assert_eq!(s.poll_message(), None);
    // A message number beyond the window an honest sender keeps is refused.
    s.handle_datagram(now, &packet(PEER_FIRST_SEQ + 2, &[(frame(1, 20_000), b"far")]));
    assert_eq!(s.stats().drops.get(DropReason::OutsideWindow), 1);
}

#[test]
fn incomplete_unreliable_fragments_expire() {
    let table = ChannelTable::new([(
        channel(2),
        ChannelConfig::new(Reliability::Unreliable, Ordering::Unordered).with_max_size(5000),
    )])
    .unwrap();
    let now = Instant::now();
    let mut s = Session::new(SessionConfig::default(), table, now, 1, PEER_FIRST_SEQ);
    let half = FrameHeader {
        channel: channel(2),
        msg_seq: 0,
        fragment: Some(FragmentInfo { index: 0, count: 2 }),
    };
    s.handle_datagram(now, &packet(PEER_FIRST_SEQ, &[(half, &[7; 1000])]));
    s.handle_timeout(now + Duration::from_secs(2));
    assert_eq!(s.stats().drops.get(DropReason::IncompleteFragments), 1);
    let rest = FrameHeader { fragment: Some(FragmentInfo { index: 1, count: 2 }), ..half };
    s.handle_datagram(
        now + Duration::from_secs(2),
        &packet(PEER_FIRST_SEQ + 1, &[(rest, &[7; 10])]),
    );
    assert_eq!(s.poll_message(), None, "half a message must never be delivered");
}
