//! The UDP transport: a listen port plus a range of peer ports, each a batched socket with its
//! own peers, driven in parallel.
//!
//! Only this module names UDP sockets; the protocol engine never does.

mod config;
mod connect;
mod diagnostics;
mod flush;
mod io;
mod listener;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod mmsg;
mod peer;
mod plugin;
mod port_io;
mod port_stats;
pub mod ports;
mod reason;
mod seq;
pub mod socket;
mod transport;

pub use config::{UDP_TRANSPORT_ID, UDP_TRANSPORT_VERSION, UdpConfig};
pub use connect::UdpConnectExt;
pub use diagnostics::UdpDiagnostics;
pub use peer::{UdpConnectRejected, UdpDirection, UdpPeer, UdpPeerStats};
pub use plugin::UdpPlugin;
pub use port_stats::UdpPortStats;
pub use ports::{AssignError, PortTable, PortTableError, Seat};
pub use socket::{BindError, Datagram, PortSocket, PushError, RecvBatch, SendBatch, SocketConfig};
pub use transport::{UdpBindError, UdpPortKind, UdpTransport};
