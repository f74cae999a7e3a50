//! Feeds arbitrary bytes to the plaintext game-packet decoder, and to the header readers
//! that route a datagram before anything is authenticated (`is_zero_message`, `sealed_cid`).
//!
//! Checks: nothing panics; no datagram starting `00 00 00` (a zero message) or with the
//! sealed marker decodes as a game packet, so the three kinds of datagram never overlap;
//! whatever decodes re-encodes to exactly the same bytes.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use stardust_proto::packet::{decode_packet, encode_frame, encode_header};
use stardust_proto::sealed::{RESET_LEN, SEALED, sealed_cid};
use stardust_proto::zero::is_zero_message;

fuzz_target!(|data: &[u8]| {
    let cid = sealed_cid(data);
    let sealed_shape = data.len() >= RESET_LEN && data[0] == SEALED;
    assert_eq!(cid.is_some(), sealed_shape, "sealed_cid disagrees with the sealed shape");
    if let Some(cid) = cid {
        assert_eq!(cid.to_be_bytes()[..], data[1..9], "the cid is bytes 1 to 8, big-endian");
    }

    let Ok((header, frames)) = decode_packet(Bytes::copy_from_slice(data)) else { return };
    assert!(!is_zero_message(data), "a zero message decoded as a game packet");
    assert_ne!(data.first(), Some(&SEALED), "a sealed packet decoded as a game packet");
    let mut encoded = Vec::with_capacity(data.len());
    encode_header(header.packet_type, header.seq, &header.acks, &mut encoded);
    for (frame, payload) in &frames {
        encode_frame(frame, payload, &mut encoded);
    }
    assert_eq!(encoded, data, "decode then encode must give back the same bytes");
});
