//! Any bytes: decoding never panics, and whatever decodes re-encodes to something that decodes
//! to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stardust_proto::zero::ZeroMessage;

fuzz_target!(|data: &[u8]| {
    // Also try the bytes as the body of a zero message, which reaches the JSON decoder far more often.
    let mut prefixed = vec![0, 0, 0];
    prefixed.extend_from_slice(data);
    for datagram in [data, prefixed.as_slice()] {
        if let Ok(message) = ZeroMessage::decode(datagram) {
            let mut encoded = Vec::new();
            message.encode(&mut encoded);
            assert_eq!(ZeroMessage::decode(&encoded).as_ref(), Ok(&message));
        }
    }
});
