//! Counters of one bound UDP port.

use crate::conditioner::ConditionerStats;

/// Traffic and drops of one bound port (listen, peer or client port), since it was bound.
/// Counters only grow.
///
/// Read them with [`UdpTransport::port_stats`](crate::udp::UdpTransport::port_stats); the listen
/// and peer ports also feed per-second rates into Bevy diagnostics (see
/// [`UdpDiagnostics`](crate::udp::UdpDiagnostics)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UdpPortStats {
    /// Datagrams received, valid or not.
    pub packets_in: u64,
    /// Bytes of valid datagrams received.
    pub bytes_in: u64,
    /// Datagrams handed to the OS.
    pub packets_out: u64,
    /// Bytes of datagrams queued for the OS (including the rare ones it then refused).
    pub bytes_out: u64,
    /// Datagrams dropped because their source is not a peer of this port.
    pub dropped_unknown_source: u64,
    /// Datagrams dropped because they were longer than the largest accepted size.
    pub dropped_oversize: u64,
    /// Datagrams the OS refused to send, or that found the send batch full.
    pub dropped_outgoing: u64,
    /// Outgoing messages dropped because their connection was closing or refused them.
    pub dropped_messages: u64,
    /// Receive or send syscalls that failed (the batch is retried next frame).
    pub io_errors: u64,
    /// ICMP "port unreachable" reports read on this client port (Linux and Android, while a
    /// connection of the port is being set up; see
    /// [`UdpConfig::nobody_listening_after`](crate::udp::UdpConfig::nobody_listening_after)):
    /// copies of a connection request that found nobody listening, or forged reports.
    pub refusals: u64,
    /// Stateless resets sent: answers to sealed packets of connections this peer port does
    /// not know (the listener restarted, or they were forged), within a budget per second.
    pub resets_sent: u64,
    /// What the network conditioner did to this port's datagrams (all zero while it was
    /// never on; see [`NetworkConditioner`](crate::conditioner::NetworkConditioner)).
    pub conditioner: ConditionerStats,
}
