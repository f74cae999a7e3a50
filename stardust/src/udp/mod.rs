//! The UDP transport: a listen port plus a range of peer ports, each a batched socket with its
//! own peers, driven in parallel.
//!
//! Only this module names UDP sockets; the protocol engine never does.
//!
//! # Using it
//!
//! Add [`UdpPlugin`] after [`StardustPlugin`](crate::plugin::StardustPlugin), configured by a
//! [`UdpConfig`] (every field documented with its default). Building binds every socket, so
//! the [`UdpTransport`] resource knows its addresses at once. There are no client or server
//! roles: an App may listen, connect, or both, and every connection is a peer entity.
//!
//! ```
//! use std::time::Duration;
//! use bevy::prelude::*;
//! use stardust::prelude::*;
//!
//! // Listens on 127.0.0.1 with OS-chosen ports (use `UdpConfig::listening(addr, 7778..=7781)`
//! // for fixed ones), and connects to itself.
//! let mut app = App::new();
//! app.add_plugins((StardustPlugin, UdpPlugin::new(UdpConfig::loopback(2))));
//! let listen = app.world().resource::<UdpTransport>().listen_addr().unwrap();
//! let peer = app.world_mut().connect_udp(listen); // or `commands.connect_udp(addr)`
//! for _ in 0..1000 {
//!     app.update();
//!     if app.world().get::<PeerState>(peer) == Some(&PeerState::Connected) {
//!         break;
//!     }
//!     std::thread::sleep(Duration::from_millis(1));
//! }
//! assert_eq!(app.world().get::<PeerState>(peer), Some(&PeerState::Connected));
//! ```
//!
//! - **Accepting**: handshakes arrive on [`UdpConfig::listen`]. Each accepted peer is spawned
//!   as an entity with [`Peer`](crate::peer::Peer) and [`UdpPeer`] (`direction: Accepted`),
//!   seated on the peer port with the fewest peers (the lowest on a tie), and from then on
//!   that port takes its packets only from its address. Requests beyond
//!   [`UdpConfig::max_peers`], or while [`UdpTransport::set_accepting`] is off, are rejected.
//!   [`UdpTransport::port_table`] shows port → peer entities.
//! - **Connecting**: [`UdpConnectExt::connect_udp`] (on `Commands` or `World`) returns the
//!   peer entity at once, `Connecting` ([`UdpConnectExt::connect_udp_host`] takes
//!   `localhost:7777` and resolves it once, at the call); it becomes `Connected`, or
//!   `Disconnected` with the listener's reason (plus a [`UdpConnectRejected`] message with the
//!   code and data), or `Disconnected(NobodyListening)` within a second when the host refuses
//!   every request (nothing listens on that port; Linux and Android, see
//!   [`UdpConfig::nobody_listening_after`]), or `Disconnected(TimedOut)`. The connection
//!   uses a client port of its own (see [`UdpConfig::client_bind`]); several connections
//!   share one client port unless they go to the same listener (the listener tells peers
//!   apart by address).
//! - **Lifecycle**: the runtime's `PeerConnected` / `PeerDisconnected` carry every outcome:
//!   graceful close (`Requested`, with the closing side's message, on both sides), idle
//!   timeout (`TimedOut`), nothing listening at a connection's address (`NobodyListening`),
//!   hash mismatch (`ProtocolMismatch`), other refusals (`Rejected`
//!   with the code and the JSON detail as bytes), a remote App dropped (`TransportClosed`),
//!   a peer sending invalid packets past [`UdpConfig::violation_limit`] (`ProtocolViolation`,
//!   on both sides).
//! - **Stats**: `PeerStats` (rtt, loss, bytes) and [`UdpPeerStats`] (packets) on each peer;
//!   [`UdpPortStats`] per port via [`UdpTransport::port_stats`]; per-second rates per
//!   listen/peer port in Bevy diagnostics ([`UdpDiagnostics`]).
//!
//! # How it runs
//!
//! In [`StardustSet::Receive`](crate::plugin::StardustSet::Receive) and
//! [`StardustSet::Send`](crate::plugin::StardustSet::Send), one task per port on Bevy's
//! `ComputeTaskPool` does that port's batched syscalls (`recvmmsg`/`sendmmsg` on Linux) and
//! drives the protocol engines of that port's peers; each task owns its port, so no port
//! waits for another. A short serial pass then swaps message buffers with the peer
//! entities' inbox/outbox (O(peers), not O(messages)) and applies lifecycle and stats.
//! Buffers are reused: steady traffic does not allocate per datagram in this layer.
//!
//! # Where things live
//!
//! | folder or file | what it holds |
//! |---|---|
//! | `socket/` | one non-blocking socket: batched syscalls (`mmsg.rs`, portable `single_calls.rs`), ICMP "port unreachable" reports (`errqueue.rs`), the one interrupted-call retry, the one receive loop and send-and-count step every port uses, [`UdpPortStats`] |
//! | `port_io/` | per-port I/O: a bound port with its peers, the record of who is behind each address (`peers.rs`), each peer's engine and buffers (`slot.rs`), refusals handed to connections being set up (`refusals.rs`) |
//! | `ports/` | port allocation: the listener's peer ports and least-loaded seating (`peer_ports.rs`), client ports of outgoing connections, the [`PortTable`] view |
//! | `listener/` | the listen port: handshakes in, rejections and accepts out |
//! | `phase/` | running a receive or send phase over every port: serially, or one task per port on the compute pool; busy polling |
//! | `systems/` | the Bevy glue: the two systems, starting connects, the accept pass, the serial passes between slots and peer entities |
//! | `transport/` | the [`UdpTransport`] resource that owns all of the above, binding ([`UdpBindError`]), building each connection's engine |
//! | `config.rs`, `plugin.rs` | [`UdpConfig`], [`UdpPlugin`] (and [`UdpBindFailure`] when binding failed) |
//! | `peer.rs`, `connect.rs`, `resolve.rs`, `reason.rs`, `diagnostics.rs` | what a peer entity carries, `connect_udp`, host names to addresses ([`resolve_udp_addr`]), close codes ↔ [`DisconnectReason`](crate::peer::DisconnectReason), per-port rates |
//!
//! Dependencies point one way: `systems` → `transport` → `phase` → `listener`, `ports` →
//! `port_io` → `socket`.

mod config;
mod connect;
mod diagnostics;
mod listener;
mod peer;
mod phase;
mod plugin;
mod port_io;
mod ports;
mod reason;
mod resolve;
mod security;
pub mod socket;
mod systems;
mod transport;

pub use config::{UDP_TRANSPORT_ID, UDP_TRANSPORT_VERSION, UdpConfig};
pub use connect::{UdpConnectExt, UdpConnectOptions};
pub use diagnostics::UdpDiagnostics;
pub use peer::{UdpConnectRejected, UdpDirection, UdpPeer, UdpPeerStats, UdpTicket};
pub use plugin::{UdpBindFailure, UdpPlugin};
pub use ports::{PortTable, Seat};
pub use resolve::{ResolveError, resolve_udp_addr};
pub use security::{
    AcceptHook, AcceptPolicy, ConnectAttempt, Identity, IdentityError, UdpSecurity, Verdict,
};
pub use socket::{
    BindError, Datagram, PortSocket, PushError, RecvBatch, SendBatch, SocketConfig, UdpPortStats,
};
pub use transport::{UdpBindError, UdpPortKind, UdpTransport};
