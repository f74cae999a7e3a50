//! Any bytes as a game packet: decoding never panics, frames stay inside the datagram, and
//! whatever decodes re-encodes to the same bytes.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use stardust_proto::packet::{decode_packet, encode_frame, encode_header};

fuzz_target!(|data: &[u8]| {
    let Ok((header, frames)) = decode_packet(Bytes::copy_from_slice(data)) else { return };
    assert_ne!(data.get(..3), Some(&[0u8, 0, 0][..]), "a zero message decoded as a game packet");
    let mut encoded = Vec::with_capacity(data.len());
    encode_header(header.packet_type, header.seq, &header.acks, &mut encoded);
    for (frame, payload) in &frames {
        encode_frame(frame, payload, &mut encoded);
    }
    assert_eq!(encoded, data, "decode then encode must give back the same bytes");
});
