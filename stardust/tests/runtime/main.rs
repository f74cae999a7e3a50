//! The transport-agnostic runtime: registry and protocol hash, typed channel queues,
//! dispatch and flush, the peer lifecycle. One module per behaviour.

#[path = "../common/collect.rs"]
mod collect;
mod support;
mod typed_support;

mod channel_added_before_or_after_plugin;
mod channels_add_no_systems_to_the_frame;
mod messages_broadcast_shares_one_payload;
mod messages_flush_skips_despawned_peers;
mod messages_incoming_oversize_dropped_and_counted;
mod messages_read_exactly_once_before_or_after_dispatch;
mod messages_send_refuses_oversize_and_unknown_peers;
mod messages_unknown_channel_dropped_and_counted;
mod messages_unregistered_channel_panics_naming_the_fix;
mod peer_disconnect_seen_on_both_sides;
mod peer_lifecycle_run_conditions;
mod peer_user_components_survive;
mod protocol_hash_changes_with_any_field;
mod protocol_hash_covers_message_types;
mod protocol_hash_is_order_independent;
mod registry_collision_names_both_types;
mod registry_lookup_by_id_and_type;
mod typed_protocol_md_vectors;
mod typed_round_trip_on_every_delivery_kind;
mod typed_send_refuses_oversize_and_unencodable;
mod typed_undecodable_dropped_and_counted;
mod writers_never_conflict;
