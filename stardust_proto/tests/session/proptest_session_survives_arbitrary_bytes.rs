//! Property: arbitrary datagrams (random bytes, and valid packets with random corruption)
//! never panic a session, and its memory stays bounded.

use std::time::{Duration, Instant};

use bytes::Bytes;
use proptest::prelude::*;
use stardust_proto::packet::{
    AckBlock, FragmentInfo, FrameHeader, PacketType, encode_frame, encode_header,
};
use stardust_proto::{ChannelId, Session, SessionConfig};

fn session() -> Session {
    let config = SessionConfig { receive_buffer: 256 * 1024, ..SessionConfig::default() };
    Session::new(config, crate::channel_kinds::every_kind(20_000), Instant::now(), 0, 0)
}

/// A plausible packet: valid structure with small numbers, so it reaches deep into the engine.
fn plausible() -> impl Strategy<Value = Vec<u8>> {
    let frame = (0u32..6, 0u16..40, prop::option::of((0u16..5, 2u16..6)), 0usize..1200);
    (any::<u16>(), 0u16..64, any::<u64>(), prop::collection::vec(frame, 0..4), any::<(u16, u8)>())
        .prop_map(|(seq, ack, bits, frames, (flip_at, flip))| {
            let mut buf = Vec::new();
            encode_header(
                PacketType::Data,
                seq % 64,
                &[AckBlock { ack, ack_bits: bits }],
                &mut buf,
            );
            for (ch, msg_seq, fragment, len) in frames {
                let fragment =
                    fragment.map(|(index, count)| FragmentInfo { index: index % count, count });
                let channel = ChannelId::new(ch).unwrap();
                encode_frame(
                    &FrameHeader { channel, msg_seq, fragment },
                    &vec![0x5A; len],
                    &mut buf,
                );
            }
            if flip != 0 && !buf.is_empty() {
                let at = flip_at as usize % buf.len();
                buf[at] ^= flip;
            }
            buf
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_datagrams_never_panic(
        datagrams in prop::collection::vec(
            prop_oneof![prop::collection::vec(any::<u8>(), 0..1500), plausible()],
            1..60,
        ),
    ) {
        let mut s = session();
        let start = Instant::now();
        let mut buf = Vec::new();
        for (i, d) in datagrams.iter().enumerate() {
            let now = start + Duration::from_millis(i as u64 * 7);
            s.handle_datagram(now, d);
            let _ = s.send(ChannelId::new(i as u32 % 6).unwrap(), Bytes::from(vec![1; i * 50]));
            while s.poll_transmit(now, &mut buf) {}
            s.handle_timeout(now);
            while s.poll_message().is_some() {}
            // Twice the receive buffer (started messages may finish), plus one message per
            // ordered channel with its per-fragment overhead, plus one packet of slack.
            let bound = 2 * 256 * 1024 + 30_000 + 2 * 1500;
            prop_assert!(s.buffered_bytes() <= bound, "{} > {bound}", s.buffered_bytes());
        }
    }
}
