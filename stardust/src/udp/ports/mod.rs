//! Port allocation: which local port carries which peer.
//!
//! A listener binds a range of peer ports ([`PeerPorts`], `peer_ports.rs`): each accepted
//! peer goes on the one with the fewest peers, the lowest on a tie, and that port takes its
//! datagrams only from the address its handshake came from. [`PortTable`] (`table.rs`) is
//! the public, read-only view of that seating. The connections this App makes get client
//! ports instead ([`ClientPorts`], `client_ports.rs`), bound on demand.
//!
//! Nothing here keeps a record of its own: who sits where is read from each port's address
//! record ([`PortPeers`](crate::udp::port_io::PortPeers)), the one datagrams are routed by.

mod client_ports;
mod peer_ports;
mod table;

pub(crate) use self::client_ports::{ClientPorts, OpenError};
pub(crate) use self::peer_ports::{PeerPorts, SeatError};
pub use self::table::{PortTable, Seat};
