//! The wire format: packets and zero messages round-trip byte for byte.

mod handshake_zero_messages_round_trip;
mod proptest_packet_round_trips;
mod protocol_md_vectors;
