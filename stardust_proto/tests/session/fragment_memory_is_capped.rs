//! A peer that sends the first fragment of ever more large unreliable messages cannot make the
//! receiver hold more than its configured receive buffer.

use std::time::Instant;

use stardust_proto::packet::{
    AckBlock, FragmentInfo, FrameHeader, PacketType, encode_frame, encode_header,
};
use stardust_proto::{
    ChannelConfig, ChannelId, ChannelTable, DropReason, Ordering, Reliability, Session,
    SessionConfig,
};

#[test]
fn partial_messages_stop_being_stored_at_the_receive_buffer_cap() {
    let ch = ChannelId::new(1).unwrap();
    let config = ChannelConfig::new(Reliability::Unreliable, Ordering::Unordered)
        .with_max_size(ChannelConfig::MAX_SIZE_LIMIT);
    let table = ChannelTable::new([(ch, config)]).unwrap();
    let now = Instant::now();
    let cap = 1024 * 1024;
    let config = SessionConfig { receive_buffer: cap, ..SessionConfig::default() };
    let mut s = Session::new(config, table, now, 1, 0);
    let payload = [9u8; 1100];
    for n in 0..20_000u16 {
        let mut buf = Vec::new();
        encode_header(PacketType::Data, n, &[AckBlock { ack: 0, ack_bits: 0 }], &mut buf);
        let header = FrameHeader {
            channel: ch,
            msg_seq: n,
            fragment: Some(FragmentInfo { index: 0, count: 10_000 }),
        };
        encode_frame(&header, &payload, &mut buf);
        s.handle_datagram(now, &buf);
        assert!(
            s.buffered_bytes() <= cap + 10_000 * 32 + payload.len(),
            "holds {}",
            s.buffered_bytes()
        );
    }
    assert!(s.stats().drops.get(DropReason::BufferFull) > 19_000);
}

#[test]
fn started_reliable_messages_cannot_grow_past_twice_the_cap() {
    let ch = ChannelId::new(1).unwrap();
    let config =
        ChannelConfig::new(Reliability::Reliable, Ordering::Unordered).with_max_size(1024 * 1024);
    let table = ChannelTable::new([(ch, config)]).unwrap();
    let now = Instant::now();
    let cap = 256 * 1024;
    let config = SessionConfig { receive_buffer: cap, ..SessionConfig::default() };
    let mut s = Session::new(config, table, now, 1, 0);
    let payload = [9u8; 1000];
    let mut seq = 0u16;
    let mut send = |s: &mut Session, msg_seq: u16, index: u16| {
        let mut buf = Vec::new();
        encode_header(PacketType::Data, seq, &[AckBlock { ack: 0, ack_bits: 0 }], &mut buf);
        seq = seq.wrapping_add(1);
        let fragment = Some(FragmentInfo { index, count: 1000 });
        encode_frame(&FrameHeader { channel: ch, msg_seq, fragment }, &payload, &mut buf);
        s.handle_datagram(now, &buf);
    };
    // Start as many messages as the receiver takes (message 0 never arrives, so none is ever
    // "next in order" on this unordered channel's window and all stay incomplete).
    for msg_seq in 1..2000u16 {
        send(&mut s, msg_seq, 0);
    }
    assert!(s.buffered_bytes() <= cap + 2000, "new messages started past the cap");
    // Then try to grow every started message.
    for index in 1..50u16 {
        for msg_seq in 1..2000u16 {
            send(&mut s, msg_seq, index);
        }
    }
    assert!(s.buffered_bytes() <= 2 * cap + 2000, "holds {}", s.buffered_bytes());
    assert!(s.stats().drops.get(DropReason::BufferFull) > 0);
}
