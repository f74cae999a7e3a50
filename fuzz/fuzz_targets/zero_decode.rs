//! Feeds arbitrary bytes, raw and behind the zero header `00 00 00`, to the zero-message
//! decoder (all five types, both modes) and to the request probe a listener reads before
//! deciding anything.
//!
//! Checks: nothing panics; whatever decodes re-encodes to bytes that decode to the same
//! message; `encode_within` never writes more than its limit when it says the message fits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stardust_proto::zero::{RequestProbe, ZERO_MAX_SIZE, ZeroDecodeError, ZeroMessage};

fuzz_target!(|data: &[u8]| {
    // Behind the header the bytes reach the JSON decoder far more often.
    let mut prefixed = vec![0, 0, 0];
    prefixed.extend_from_slice(data);
    for datagram in [data, prefixed.as_slice()] {
        let _ = RequestProbe::read(datagram);
        let Ok(message) = ZeroMessage::decode(datagram) else { continue };
        let mut encoded = Vec::new();
        message.encode(&mut encoded);
        match ZeroMessage::decode(&encoded) {
            Ok(again) => assert_eq!(again, message, "decode, encode, decode changed the message"),
            // serde_json re-writes numbers in its own form (`1E9` becomes `1000000000.0`), so
            // a message with free-form `data` near the limit may grow past it on re-encoding:
            // the decoder is right to refuse it.
            Err(ZeroDecodeError::Oversized) => assert!(encoded.len() > ZERO_MAX_SIZE),
            Err(error) => panic!("{message:?} re-encoded to bytes that do not decode: {error}"),
        }
        // The limit the listener uses is the size of the request it answers.
        let limit = usize::from(data.first().copied().unwrap_or(0)) * 8;
        if message.encode_within(limit, &mut encoded) {
            assert!(encoded.len() <= limit, "encode_within wrote past its limit");
        }
    }
});
