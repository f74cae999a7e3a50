//! Connections: the handshake, close, timeouts, and bad input at the connection layer,
//! over the seeded simulated network. One module per behaviour.

#[path = "../support/conn_pair.rs"]
mod conn_pair;
#[path = "../support/netsim.rs"]
mod netsim;

mod arbitrary_bytes_never_panic;
mod bad_zero_input_is_counted;
mod close_gives_up_flushing_after_the_linger;
mod close_graceful_seen_by_both;
mod handshake_completes_at_half_loss;
mod handshake_duplicate_requests_make_one_peer;
mod handshake_never_amplifies;
mod handshake_rejections_carry_their_reason;
mod handshake_rejects_protocol_hash_mismatch;
mod harsh_link_delivers_10000_ordered;
mod refused_requests_end_only_an_unanswered_attempt;
mod timeout_silent_peer;
