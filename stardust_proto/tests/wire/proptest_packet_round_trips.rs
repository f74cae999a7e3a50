//! Property: any header and frames encode to bytes that decode back to the same values.

use bytes::Bytes;
use proptest::prelude::*;
use stardust_proto::ChannelId;
use stardust_proto::packet::{
    AckBlock, FragmentInfo, FrameHeader, PacketType, decode_packet, encode_frame, encode_header,
};

fn frame() -> impl Strategy<Value = (FrameHeader, Vec<u8>)> {
    (
        0..=ChannelId::MAX,
        any::<u16>(),
        prop::option::of((2..=u16::MAX).prop_flat_map(|count| (0..count, Just(count)))),
        prop::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(ch, msg_seq, fragment, payload)| {
            let fragment = fragment.map(|(index, count)| FragmentInfo { index, count });
            (FrameHeader { channel: ChannelId::new(ch).unwrap(), msg_seq, fragment }, payload)
        })
}

proptest! {
    #[test]
    fn packets_round_trip(
        data in any::<bool>(),
        seq in any::<u16>(),
        acks in prop::collection::vec((any::<u16>(), any::<u64>()), 0..=32),
        frames in prop::collection::vec(frame(), 0..8),
    ) {
        let packet_type = if data { PacketType::Data } else { PacketType::Ack };
        let frames = if data { frames } else { Vec::new() };
        let acks: Vec<_> = acks.into_iter().map(|(ack, ack_bits)| AckBlock { ack, ack_bits }).collect();
        let mut buf = Vec::new();
        encode_header(packet_type, seq, &acks, &mut buf);
        for (header, payload) in &frames {
            encode_frame(header, payload, &mut buf);
        }
        prop_assert_ne!(&buf[..3], &[0, 0, 0]);
        let (header, decoded) = decode_packet(Bytes::from(buf)).unwrap();
        prop_assert_eq!(header.packet_type, packet_type);
        prop_assert_eq!(header.seq, seq);
        prop_assert_eq!(header.acks, acks);
        prop_assert_eq!(decoded.len(), frames.len());
        for ((h, p), (want_h, want_p)) in decoded.iter().zip(&frames) {
            prop_assert_eq!(h, want_h);
            prop_assert_eq!(&p[..], &want_p[..]);
        }
    }
}
