//! The UDP transport: a listen port plus a range of peer ports, each a batched socket with its
//! own peers, driven in parallel.
//!
//! Only this module names UDP sockets; the protocol engine never does.

#[cfg(any(target_os = "linux", target_os = "android"))]
mod mmsg;
pub mod ports;
pub mod socket;

pub use ports::{AssignError, PortTable, PortTableError, Seat};
pub use socket::{BindError, Datagram, PortSocket, PushError, RecvBatch, SendBatch, SocketConfig};
