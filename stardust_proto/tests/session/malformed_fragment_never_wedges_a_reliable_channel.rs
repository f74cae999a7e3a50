//! A packet that carries a fragment the receiver must refuse (shorter than the minimum, or
//! contradicting the message's earlier fragments) is dropped whole and never acknowledged:
//! had it been acknowledged, its sender would count the fragment delivered while the receiver
//! threw it away, and a reliable-ordered channel would wait for that message forever.

use std::time::Instant;

use bytes::Bytes;
use stardust_proto::packet::{
    FragmentInfo, FrameHeader, PacketType, decode_header, encode_frame, encode_header,
};
use stardust_proto::{
    ChannelConfig, ChannelId, ChannelTable, DropReason, Ordering, Reliability, Session,
    SessionConfig,
};

const PEER_FIRST_SEQ: u16 = 700;

fn chat() -> ChannelId {
    ChannelId::new(1).unwrap()
}

fn receiver() -> (Session, Instant) {
    let config = ChannelConfig::new(Reliability::Reliable, Ordering::Ordered).with_max_size(4000);
    let table = ChannelTable::new([(chat(), config)]).unwrap();
    let now = Instant::now();
    (Session::new(SessionConfig::default(), table, now, 1, PEER_FIRST_SEQ), now)
}

/// A data packet numbered `seq` (acknowledging nothing) carrying fragments of message 0:
/// `(index, count, payload)`.
fn packet(seq: u16, fragments: &[(u16, u16, &[u8])]) -> Vec<u8> {
    let mut buf = Vec::new();
    encode_header(PacketType::Data, seq, &[], &mut buf);
    for &(index, count, payload) in fragments {
        let header = FrameHeader {
            channel: chat(),
            msg_seq: 0,
            fragment: Some(FragmentInfo { index, count }),
        };
        encode_frame(&header, payload, &mut buf);
    }
    buf
}

/// Whether any ack block the session writes now covers packet `seq`.
fn acknowledges(session: &mut Session, now: Instant, seq: u16) -> bool {
    let mut buf = Vec::new();
    session.request_keepalive();
    let mut acked = false;
    while session.poll_transmit(now, &mut buf) {
        let header = decode_header(&buf).unwrap();
        acked |= header.acks.iter().any(|b| {
            let d = b.ack.wrapping_sub(seq);
            d == 0 || (1..=64).contains(&d) && b.ack_bits & (1 << (d - 1)) != 0
        });
    }
    acked
}

#[test]
fn a_too_short_non_final_fragment_is_refused_with_its_packet() {
    let (mut session, now) = receiver();
    let short = [1u8; 20]; // below the 128-byte minimum of a non-final fragment
    session.handle_datagram(now, &packet(PEER_FIRST_SEQ, &[(0, 2, &short)]));
    assert_eq!(session.stats().drops.get(DropReason::BadFragment), 1);
    assert_eq!(session.stats().packets_received, 0, "the packet was taken");
    assert!(!acknowledges(&mut session, now, PEER_FIRST_SEQ), "the packet was acknowledged");

    // The sender resends the message, well formed this time: it is delivered.
    let (first, last) = ([2u8; 200], [3u8; 50]);
    session.handle_datagram(now, &packet(PEER_FIRST_SEQ + 1, &[(0, 2, &first)]));
    session.handle_datagram(now, &packet(PEER_FIRST_SEQ + 2, &[(1, 2, &last)]));
    let whole: Vec<u8> = first.iter().chain(&last).copied().collect();
    assert_eq!(session.poll_message(), Some((chat(), Bytes::from(whole))));
}

#[test]
fn a_fragment_contradicting_an_earlier_one_is_refused_with_its_packet() {
    let (mut session, now) = receiver();
    session.handle_datagram(now, &packet(PEER_FIRST_SEQ, &[(0, 3, &[4u8; 200])]));
    assert_eq!(session.stats().packets_received, 1);
    // Another length for a non-final fragment of the same message, and another count.
    session.handle_datagram(now, &packet(PEER_FIRST_SEQ + 1, &[(1, 3, &[5u8; 150])]));
    session.handle_datagram(now, &packet(PEER_FIRST_SEQ + 2, &[(2, 4, &[6u8; 10])]));
    // Two contradicting fragments of one message in one packet.
    let both = packet(PEER_FIRST_SEQ + 3, &[(1, 5, &[7u8; 300]), (2, 5, &[7u8; 250])]);
    session.handle_datagram(now, &both);
    assert_eq!(session.stats().drops.get(DropReason::BadFragment), 3);
    assert_eq!(session.stats().packets_received, 1);
    for seq in 1..=3 {
        assert!(
            !acknowledges(&mut session, now, PEER_FIRST_SEQ + seq),
            "packet +{seq} acknowledged"
        );
    }
    // The message completes with fragments that agree.
    session.handle_datagram(
        now,
        &packet(PEER_FIRST_SEQ + 4, &[(1, 3, &[8u8; 200]), (2, 3, &[9u8; 7])]),
    );
    let message = session.poll_message().expect("the message completes");
    assert_eq!(message.1.len(), 407);
}
