//! The session (reliability engine) over the seeded simulated network: delivery per
//! channel kind, fragments, flow control, priorities, RTT and loss, bad input. One module
//! per behaviour.

#[path = "../support/channel_kinds.rs"]
mod channel_kinds;
#[path = "../support/netsim.rs"]
mod netsim;
#[path = "../support/session_pair.rs"]
mod session_pair;

mod backs_off_from_a_silent_peer;
mod bad_input_is_dropped_and_counted;
mod delivers_over_a_clean_link;
mod flow_control_queues_instead_of_failing;
mod fragment_boundaries_round_trip;
mod fragment_memory_is_capped;
mod higher_priority_goes_first;
mod malformed_fragment_never_wedges_a_reliable_channel;
mod measures_rtt_and_loss;
mod netsim_is_deterministic;
mod proptest_session_survives_arbitrary_bytes;
mod reliable_ordered_survives_harsh_link;
mod reliable_unordered_arrives_exactly_once;
mod sequenced_never_regresses;
mod unreliable_never_duplicates;
mod windowed_loss_reads_the_link;
