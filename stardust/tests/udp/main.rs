//! The UDP transport over real sockets on 127.0.0.1 with OS-chosen ports: sockets and
//! batches, port allocation, handshakes, delivery, lifecycle, stats, bad input. One module
//! per behaviour; every drive loop is bounded in frames and time.

#[path = "../common/collect.rs"]
mod collect;
mod proxy;
mod scenarios;
mod support;

mod accept_policies_admit_and_refuse;
mod app_listens_and_connects_at_once;
mod bind_failure_is_reported_and_the_app_runs_on;
mod busy_poll_stops_at_the_first_datagram;
mod client_port_connects_to_its_only_peer;
mod dropped_listener_says_goodbye_three_times;
mod forged_replayed_and_modified_packets_change_nothing;
mod garbage_at_every_port_does_not_disturb_peers;
mod garbage_from_a_connected_peer_disconnects_only_it;
mod graceful_close_reason_reaches_other_side;
mod host_names_resolve_once_at_connect;
mod late_copies_of_a_close_draw_no_reset;
mod listen_and_connect_in_one_app;
mod listen_port_read_at_most_once_per_poll_interval;
mod man_in_the_middle_cannot_answer_a_pinned_client;
mod max_peers_rejects_the_next;
mod new_peers_fill_the_emptiest_ports;
mod nobody_listening_ends_the_attempt_quickly;
mod path_migration_follows_authenticated_packets;
mod port_allocation;
mod protocol_hash_mismatch_rejected_at_connecting_side;
mod reliable_delivery_under_load;
mod security_mismatch_is_refused_with_its_reason;
mod sixty_four_peers_spread_evenly_over_four_ports;
mod socket_applies_buffer_sizes;
mod socket_batch_reaches_many_destinations;
mod socket_oversize_datagram_is_reported;
mod socket_recv_batch_stops_at_capacity;
mod socket_recv_on_empty_returns_zero;
mod socket_refused_datagram_does_not_jam_batch;
mod socket_steady_state_does_not_allocate;
mod spoofed_close_does_nothing;
mod stateless_reset_ends_a_forgotten_connection;
mod stats_and_diagnostics_fill_after_traffic;
mod unvalidated_requests_create_nothing;
mod vanished_peer_times_out;
