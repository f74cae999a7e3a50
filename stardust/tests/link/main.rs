//! The in-memory link transport between Apps: delivery, lifecycle and protocol checks.
//! One module per behaviour.

#[path = "../common/collect.rs"]
mod collect;
// Shared with the runtime tests, whose bare-peer helpers the link tests do not use.
#[allow(dead_code)]
#[path = "../runtime/support.rs"]
mod support;

mod broadcast_reaches_fifty_peers;
mod dropped_app_disconnects_with_transport_closed;
mod message_type_mismatch_refused_at_handshake;
mod protocol_mismatch_disconnects_both_sides;
mod reliable_ordered_survives_a_conditioned_link;
mod ten_thousand_messages_arrive_once_in_order;
mod unconditioned_link_hands_messages_over_whole;
