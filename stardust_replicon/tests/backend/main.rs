//! The bevy_replicon backend, end to end: Apps with replicon and Stardust, linked in memory
//! or over UDP on 127.0.0.1. One module per behaviour.

mod support;

mod client_events_reach_the_server;
mod disconnect_request_flushes_then_disconnects;
mod messages_from_non_clients_are_counted_not_delivered;
mod replication_reaches_two_clients_over_link;
mod replication_reaches_two_clients_over_udp;
mod states_follow_the_connection;
mod stats_are_filled;
mod unreliable_max_size_fits_one_datagram;
