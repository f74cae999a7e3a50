//! How the UDP transport is set up: what it binds, how many peers it takes, and its timers.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::ops::RangeInclusive;
use std::time::Duration;

use stardust_proto::hash::fnv1a_64;
use stardust_proto::{ConnectionConfig, CookiePolicy, HandshakeConfig, SessionConfig};

use crate::conditioner::NetworkConditioner;

use super::security::{AcceptPolicy, Identity, UdpSecurity};
use super::socket::SocketConfig;

/// The transport identifier every Stardust-over-UDP handshake carries: FNV-1a 64 of the
/// ASCII bytes `stardust-udp`. A listener rejects requests naming another transport.
pub const UDP_TRANSPORT_ID: u64 = fnv1a_64(b"stardust-udp");

/// The transport version this build speaks (wire protocol v2: secure by default); both sides
/// of a connection must use the same.
pub const UDP_TRANSPORT_VERSION: u32 = 2;

/// Configuration of the [`UdpPlugin`](super::UdpPlugin). Every field has a default
/// ([`UdpConfig::default`] connects only, and listens nowhere).
///
/// An App may listen and connect at the same time: connections it makes and connections
/// it accepts are peers like any other.
#[derive(Debug, Clone)]
pub struct UdpConfig {
    /// Whether connections are encrypted and authenticated. Default
    /// [`UdpSecurity::Secure`]; [`UdpSecurity::Insecure`] is for LAN tools and debugging only.
    pub security: UdpSecurity,
    /// This App's static key pair: what a listening App proves it holds (clients pin its
    /// public half: print it with [`UdpTransport::public_key`](super::UdpTransport::public_key)),
    /// and what it presents when it connects (the listener's [`AcceptPolicy`] may check it).
    /// `None`: a listening App generates one when it binds (clients must then learn it anew
    /// at every start, and a restart cannot reset their old connections); connections are
    /// made anonymously. Save one with [`Identity::save`] and load it at start. Default `None`.
    pub identity: Option<Identity>,
    /// Who may connect to this App's listen port. Default [`AcceptPolicy::Anyone`].
    pub accept: AcceptPolicy,
    /// When a connection request must first prove its source address with a cookie.
    /// Default [`CookiePolicy::Always`]: no request from an unproven address makes the listener
    /// compute more than a MAC or keep anything, at the cost of one round trip per connection.
    pub cookies: CookiePolicy,
    /// Where connection requests (handshakes) arrive, or `None` to accept no peer (the App
    /// can still connect). Port 0 lets the OS choose; read the bound address with
    /// [`UdpTransport::listen_addr`](super::UdpTransport::listen_addr). Default `None`.
    pub listen: Option<SocketAddr>,
    /// The peer ports, bound on the IP of [`listen`](Self::listen): each accepted peer is put
    /// on the one with the fewest peers (the lowest port on a tie) and talks to it only.
    /// A `0` entry binds one OS-chosen port. Required (non-empty) when listening.
    /// Default empty.
    pub peer_ports: Vec<u16>,
    /// The most peers accepted at once, over all peer ports, counted from their accept (those
    /// still proving themselves included) until their disconnection is applied; further
    /// requests are rejected with reason `full` (5). Connections this App makes do not count.
    /// Default 1024.
    pub max_peers: usize,
    /// Whether new connection requests are accepted; when `false` they are rejected with
    /// reason `not accepting` (6). Change it at run time with
    /// [`UdpTransport::set_accepting`](super::UdpTransport::set_accepting). Default `true`.
    pub accept_new_peers: bool,
    /// Largest datagram sent, in bytes. Default 1200, safe on every internet path.
    pub mtu: usize,
    /// Largest datagram received; longer ones are dropped and counted. Default 1472.
    pub max_datagram_size: usize,
    /// A connected peer that sends nothing valid for this long is disconnected with
    /// [`DisconnectReason::TimedOut`](crate::peer::DisconnectReason::TimedOut). Default 10 s.
    pub idle_timeout: Duration,
    /// A connection attempt unanswered for this long ends with `TimedOut`; the listener also
    /// waits this long for an accepted peer's first packet. Default 15 s.
    pub handshake_timeout: Duration,
    /// A connection attempt whose first this-many copies of the request were all refused by
    /// the destination host (ICMP "port unreachable": nothing listens on that port) and that
    /// got no reply ends with
    /// [`DisconnectReason::NobodyListening`](crate::peer::DisconnectReason::NobodyListening)
    /// instead of waiting for `handshake_timeout`. The request goes out at 0, 250 ms and
    /// 750 ms, so the default of 3 ends such an attempt in under a second on a live network.
    ///
    /// Only attempts listen to these errors, and only while unanswered: ICMP is not
    /// authenticated, so an established connection never ends on one (a listener that went
    /// away is noticed by `idle_timeout`, or at once by its stateless reset when it restarts),
    /// and a forged error cannot end an attempt the listener answers. Needs Linux or Android,
    /// where client ports read the socket's error queue (`IP_RECVERR`) while one of their
    /// connections is being set up; elsewhere attempts end at `handshake_timeout` as before.
    /// An attempt one of whose copies drew no report (the ICMP was lost, or the remote host
    /// rate-limited it: Linux sends about six at once to one address, then one a second, so
    /// many connections from one machine to a closed port at once may see only some) waits
    /// for `handshake_timeout`. `None` turns this off (the error queue is never read).
    /// Default `Some(3)`.
    pub nobody_listening_after: Option<u32>,
    /// A keep-alive is sent after this long without sending anything. Default 1 s; keep it
    /// well below `idle_timeout`.
    pub keepalive_interval: Duration,
    /// After a local disconnect, how long reliable messages already sent may still be resent
    /// before the close goes out anyway. Default 2 s.
    pub close_linger: Duration,
    /// A connected peer whose datagrams broke the protocol this many times (malformed,
    /// unknown packet type or channel, oversize message, bad fragment: never caused by a
    /// healthy network between two builds with the same protocol hash) is disconnected with
    /// [`DisconnectReason::ProtocolViolation`](crate::peer::DisconnectReason::ProtocolViolation),
    /// which the remote side sees too. `None` never disconnects (bad datagrams are still
    /// dropped and counted). Default `Some(100)`.
    pub violation_limit: Option<u64>,
    /// Socket buffer sizes of the listen and peer ports. Default 2 MiB each way.
    pub socket: SocketConfig,
    /// Socket buffer sizes of client ports (one per outgoing connection to a given listener,
    /// so an App making thousands of connections binds thousands). Default: the OS's
    /// (`None` both ways).
    pub client_socket: SocketConfig,
    /// The transport version sent in handshakes; a listener rejects another with reason
    /// `incompatible version` (3). Default [`UDP_TRANSPORT_VERSION`].
    pub transport_version: u32,
    /// Where this App binds the local socket of a connection it makes ("client port"): port 0
    /// lets the OS choose. Connecting to an IPv6 address binds `[::]:0` instead when this is
    /// IPv4. Default `0.0.0.0:0`.
    pub client_bind: SocketAddr,
    /// Datagrams moved per syscall. Default 64. Each peer port holds one receive and one
    /// send batch of this many datagrams; client ports share one pair per task.
    pub batch_size: usize,
    /// Below this many peers in all, the ports run one after the other on the system's
    /// thread instead of one task per port: waking pool threads would cost more than the
    /// work and add latency to every frame. Default 32.
    pub parallel_min_peers: usize,
    /// The ports of a phase (receive or send) run as one task per port only when the
    /// previous run of that phase took at least this long over all ports (and there are
    /// [`parallel_min_peers`](Self::parallel_min_peers) peers); lighter phases run one after
    /// the other on the system's thread. Waking the pool's threads and moving each port's
    /// peers to another core costs CPU time on every frame, which only pays when a phase has
    /// this much work to share out. Default 1 ms. `parallel_min_peers: 0` with
    /// `parallel_min_work: Duration::ZERO` always runs in parallel.
    pub parallel_min_work: Duration,
    /// The listen port is read at most this often. A connection request then waits up to
    /// this long (plus the frame) for its answer, which the handshake's own resend timers
    /// (hundreds of milliseconds) never notice; in return an App that updates faster than
    /// this (a busy-polling server) saves one syscall on most frames. The peer ports are read
    /// every frame whatever this is. Default 1 ms; zero reads the listen port every frame.
    pub listen_poll_interval: Duration,
    /// How long the receive phase keeps polling the peer and client ports when none has a
    /// datagram waiting, before letting the frame go on: busy polling, as Linux's
    /// `SO_BUSY_POLL` does for blocking reads. Polling stops at the first datagram, so a frame
    /// with traffic waits no longer than before.
    ///
    /// A datagram that lands while the App is elsewhere in its frame waits for the next
    /// frame's receive phase, on average half a frame; one that lands while the receive phase
    /// polls is read within one syscall. So on a server that updates back to back with a core
    /// to spare, a few tens of microseconds here take most of that wait out of every round
    /// trip, for a core kept busy. A game that paces its frames (say at 60 Hz) gains little:
    /// its traffic mostly arrives while it sleeps between frames. An App with no peer or
    /// client port (not listening, no connection yet) does not busy-poll. At most
    /// [`MAX_BUSY_POLL`](Self::MAX_BUSY_POLL). Default zero: each port is read once per
    /// frame.
    pub busy_poll: Duration,
    /// Loss, latency, jitter and duplication applied to the datagrams of every port (listen,
    /// peer and client), for trying a game on a bad network (see [`NetworkConditioner`]). The
    /// [`UdpPlugin`](super::UdpPlugin) inserts it as the App's `NetworkConditioner` resource
    /// when set, and the transport follows that resource from then on. Default
    /// [`NetworkConditioner::OFF`]: nothing applied, nothing allocated.
    pub conditioner: NetworkConditioner,
}

impl Default for UdpConfig {
    fn default() -> Self {
        let session = SessionConfig::default();
        let connection = ConnectionConfig::default();
        Self {
            security: UdpSecurity::Secure,
            identity: None,
            accept: AcceptPolicy::Anyone,
            cookies: CookiePolicy::Always,
            listen: None,
            peer_ports: Vec::new(),
            max_peers: 1024,
            accept_new_peers: true,
            mtu: session.mtu,
            max_datagram_size: session.max_incoming_datagram,
            idle_timeout: connection.idle_timeout,
            handshake_timeout: connection.handshake.timeout,
            nobody_listening_after: connection.handshake.nobody_listening_after,
            keepalive_interval: session.keepalive_interval,
            close_linger: connection.close_linger,
            violation_limit: Some(100),
            socket: SocketConfig::default(),
            client_socket: SocketConfig { recv_buffer_size: None, send_buffer_size: None },
            transport_version: UDP_TRANSPORT_VERSION,
            client_bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
            batch_size: 64,
            parallel_min_peers: 32,
            parallel_min_work: Duration::from_millis(1),
            listen_poll_interval: Duration::from_millis(1),
            busy_poll: Duration::ZERO,
            conditioner: NetworkConditioner::OFF,
        }
    }
}

impl UdpConfig {
    /// The longest [`busy_poll`](Self::busy_poll) accepted: longer would stall every idle
    /// frame for longer than a 60 Hz frame lasts.
    pub const MAX_BUSY_POLL: Duration = Duration::from_millis(16);

    /// Listens for handshakes on `listen` and puts peers on `peer_ports` (on the same IP),
    /// e.g. `UdpConfig::listening("0.0.0.0:7777".parse()?, 7778..=7781)`.
    pub fn listening(listen: SocketAddr, peer_ports: RangeInclusive<u16>) -> Self {
        Self { listen: Some(listen), peer_ports: peer_ports.collect(), ..Self::default() }
    }

    /// Listens on 127.0.0.1 with an OS-chosen listen port and `peer_ports` OS-chosen peer
    /// ports: for tests and same-machine examples.
    pub fn loopback(peer_ports: usize) -> Self {
        let listen = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
        Self { listen: Some(listen), peer_ports: vec![0; peer_ports], ..Self::default() }
    }

    /// The engine's per-connection configuration derived from these settings.
    pub(crate) fn connection_config(&self) -> ConnectionConfig {
        let defaults = ConnectionConfig::default();
        ConnectionConfig {
            session: SessionConfig {
                mtu: self.mtu,
                max_incoming_datagram: self.max_datagram_size,
                keepalive_interval: self.keepalive_interval,
                ..SessionConfig::default()
            },
            handshake: HandshakeConfig {
                timeout: self.handshake_timeout,
                nobody_listening_after: self.nobody_listening_after,
                ..defaults.handshake
            },
            idle_timeout: self.idle_timeout,
            close_linger: self.close_linger,
            ..defaults
        }
    }
}
