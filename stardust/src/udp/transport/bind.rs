//! Binding every socket of a [`UdpConfig`], and what can go wrong doing it.

use std::net::SocketAddr;
use std::time::Duration;

use thiserror::Error;

use stardust_proto::crypto::{Entropy, KeyParseError, ResetKey, SeededEntropy, TicketVerifier};

use super::UdpTransport;
use super::engines::Engines;
use crate::conditioner::NetworkConditioner;
use crate::udp::config::UdpConfig;
use crate::udp::listener::ListenPort;
use crate::udp::port_io::{BufferShape, PortIo};
use crate::udp::ports::{ClientPorts, PeerPorts};
use crate::udp::security::{AcceptPolicy, Gate, Identity, IdentityError, UdpSecurity, os_entropy};
use crate::udp::socket::{BindError, PortSocket};

/// Why the UDP transport could not start. Found when the plugin is added, never later; the
/// plugin then logs it and keeps it in [`UdpBindFailure`](crate::udp::UdpBindFailure).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum UdpBindError {
    /// A listen address was given without peer ports.
    #[error(
        "listening on {listen} needs at least one peer port; set UdpConfig::peer_ports (0 binds an OS-chosen port)"
    )]
    NoPeerPorts {
        /// The configured listen address.
        listen: SocketAddr,
    },
    /// The listen port could not be bound.
    #[error("udp listen port: {0}")]
    Listen(#[source] BindError),
    /// A peer port could not be bound.
    #[error(
        "udp peer port {port}: {source}; choose another peer port range, or 0 for OS-chosen ports"
    )]
    PeerPort {
        /// The configured port.
        port: u16,
        /// The OS error.
        source: BindError,
    },
    /// The same peer port is listed twice in [`UdpConfig::peer_ports`].
    #[error("udp peer port {0} is listed twice; list each peer port once (0 may repeat)")]
    DuplicatePeerPort(u16),
    /// The listener's identity could not be made (the OS's random generator failed).
    #[error("udp transport identity: {0}")]
    Identity(#[from] IdentityError),
    /// [`UdpConfig::accept`] checks client keys or tickets, which only a secure listener sees.
    #[error(
        "UdpConfig::accept is {policy}, but the transport is insecure: clients present no keys or tickets there; use UdpSecurity::Secure, or AcceptPolicy::Anyone or Custom"
    )]
    PolicyNeedsSecurity {
        /// Which policy: `Allowlist` or `Tickets`.
        policy: &'static str,
    },
    /// The backend key of [`AcceptPolicy::Tickets`](crate::udp::AcceptPolicy::Tickets) is not
    /// an Ed25519 verifying key, so no ticket could ever be admitted.
    #[error("AcceptPolicy::Tickets backend key: {0}")]
    TicketBackendKey(#[source] KeyParseError),
    /// [`UdpConfig::busy_poll`] is longer than [`UdpConfig::MAX_BUSY_POLL`].
    #[error(
        "UdpConfig::busy_poll of {busy_poll:?} would stall every idle frame that long; keep it at most {max:?} (tens of microseconds are typical)",
        max = UdpConfig::MAX_BUSY_POLL
    )]
    BusyPollTooLong {
        /// The configured value.
        busy_poll: Duration,
    },
}

impl UdpTransport {
    /// Binds the listen port and every peer port of `config`. Nothing is left bound when
    /// this fails.
    pub fn bind(config: UdpConfig) -> Result<Self, UdpBindError> {
        if config.busy_poll > UdpConfig::MAX_BUSY_POLL {
            return Err(UdpBindError::BusyPollTooLong { busy_poll: config.busy_poll });
        }
        if config.listen.is_some() {
            check_accept_policy(&config)?;
        }
        let mut entropy = os_entropy()?;
        let shape = BufferShape {
            batch: config.batch_size,
            max_datagram: config.max_datagram_size,
            mtu: config.mtu,
        };
        // A secure listener needs a static key: the configured one, or one made now.
        let identity = match (config.security, config.listen, &config.identity) {
            (UdpSecurity::Secure, Some(_), None) => Some(Identity::generate()?),
            (UdpSecurity::Secure, _, identity) => identity.clone(),
            (UdpSecurity::Insecure, _, _) => None,
        };
        let (listener, peer_ports) = match config.listen {
            Some(listen) => {
                let seed = SeededEntropy::new(entropy.bytes32());
                let (listener, ports) =
                    bind_listener(listen, &config, shape, identity.as_ref(), seed)?;
                (Some(listener), ports)
            }
            None => (None, Vec::new()),
        };
        let listening = listener.as_ref().map(ListenPort::public_key);
        let gate = Gate::new(&config.accept, listening.flatten());
        // Connections present the configured identity only: a key made for listening is new
        // at every start, and says nothing about this App.
        let engines =
            Engines::new(&config, config.identity.clone(), SeededEntropy::new(entropy.bytes32()));
        let mut transport = Self {
            engines,
            listener,
            peer_ports: PeerPorts::new(peer_ports, config.max_peers),
            client_ports: ClientPorts::new(
                shape,
                config.client_bind,
                config.client_socket.clone(),
                config.nobody_listening_after.is_some(),
            ),
            phase_work: [Duration::ZERO; 2],
            identity: identity.filter(|_| config.listen.is_some()),
            gate,
            conditioner: NetworkConditioner::OFF,
            next_stream: 0,
            config,
        };
        let conditioner = transport.config.conditioner;
        transport.set_conditioner(&conditioner);
        Ok(transport)
    }
}

/// Refuses an accept policy that could admit no one: one that checks keys or tickets on an
/// insecure listener, or tickets signed by a key that is not a key.
fn check_accept_policy(config: &UdpConfig) -> Result<(), UdpBindError> {
    let policy = match &config.accept {
        AcceptPolicy::Allowlist(_) => "Allowlist",
        AcceptPolicy::Tickets { backend } => {
            TicketVerifier::check_backend(backend).map_err(UdpBindError::TicketBackendKey)?;
            "Tickets"
        }
        AcceptPolicy::Anyone | AcceptPolicy::Custom(_) => return Ok(()),
    };
    match config.security {
        UdpSecurity::Insecure => Err(UdpBindError::PolicyNeedsSecurity { policy }),
        UdpSecurity::Secure => Ok(()),
    }
}

/// Binds the listen port on `listen` and the peer ports on its IP.
fn bind_listener(
    listen: SocketAddr,
    config: &UdpConfig,
    shape: BufferShape,
    identity: Option<&Identity>,
    entropy: SeededEntropy,
) -> Result<(ListenPort, Vec<PortIo>), UdpBindError> {
    if config.peer_ports.is_empty() {
        return Err(UdpBindError::NoPeerPorts { listen });
    }
    let mut seen = Vec::new();
    for &port in config.peer_ports.iter().filter(|&&port| port != 0) {
        if seen.contains(&port) {
            return Err(UdpBindError::DuplicatePeerPort(port));
        }
        seen.push(port);
    }
    let socket = PortSocket::bind(listen, &config.socket).map_err(UdpBindError::Listen)?;
    let keypair = identity.map(|identity| identity.keypair().clone());
    let listener =
        ListenPort::new(socket, config.batch_size, config.listen_poll_interval, keypair, entropy);
    let reset = identity.map(|identity| ResetKey::from_identity(identity.keypair()));
    let mut ports = Vec::new();
    for &port in &config.peer_ports {
        let addr = SocketAddr::new(listen.ip(), port);
        let socket = PortSocket::bind(addr, &config.socket)
            .map_err(|source| UdpBindError::PeerPort { port, source })?;
        let mut port = PortIo::new(socket, Some(shape.make()));
        if let Some(reset) = reset {
            port.answer_unknown_with_resets(reset);
        }
        ports.push(port);
    }
    Ok((listener, ports))
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    #[test]
    fn listening_without_peer_ports_is_refused_with_the_fix() {
        let config = UdpConfig {
            listen: Some(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))),
            ..UdpConfig::default()
        };
        let error = UdpTransport::bind(config).unwrap_err();
        assert!(matches!(error, UdpBindError::NoPeerPorts { .. }));
        assert!(error.to_string().contains("set UdpConfig::peer_ports"), "{error}");
    }

    #[test]
    fn a_taken_peer_port_is_refused_naming_it() {
        let taken = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = taken.local_addr().unwrap().port();
        let config = UdpConfig {
            listen: Some(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))),
            peer_ports: vec![port],
            ..UdpConfig::default()
        };
        let error = UdpTransport::bind(config).unwrap_err();
        let text = error.to_string();
        assert!(text.contains(&port.to_string()) && text.contains("choose another"), "{text}");
    }

    #[test]
    fn a_peer_port_listed_twice_is_refused_before_binding_anything() {
        let config = UdpConfig {
            listen: Some(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))),
            peer_ports: vec![0, 7781, 0, 7781],
            ..UdpConfig::default()
        };
        let error = UdpTransport::bind(config).unwrap_err();
        assert!(matches!(error, UdpBindError::DuplicatePeerPort(7781)), "{error}");
    }

    #[test]
    fn a_busy_poll_longer_than_a_frame_is_refused_with_the_limit() {
        let config = UdpConfig { busy_poll: Duration::from_millis(17), ..UdpConfig::default() };
        let error = UdpTransport::bind(config).unwrap_err();
        assert!(matches!(error, UdpBindError::BusyPollTooLong { .. }));
        assert!(error.to_string().contains("keep it at most 16ms"), "{error}");
        let config = UdpConfig { busy_poll: UdpConfig::MAX_BUSY_POLL, ..UdpConfig::default() };
        assert!(UdpTransport::bind(config).is_ok());
    }
}
