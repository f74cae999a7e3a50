//! Addresses as people write them: `localhost:7777`, `play.example.com:7777`,
//! `10.0.0.5:7777`, `[::1]:7777`, turned into the one socket address a connection uses.

use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use thiserror::Error;

/// Why an address written as text could not be turned into a socket address.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// The text names no port.
    #[error(
        "`{input}` has no port; write the address as host:port, e.g. localhost:7777, \
         127.0.0.1:7777 or [::1]:7777"
    )]
    MissingPort {
        /// The text as given.
        input: String,
    },
    /// The text after the last `:` is not a port number.
    #[error(
        "`{port}` in `{input}` is not a port; give a number from 0 to 65535, e.g. localhost:7777"
    )]
    InvalidPort {
        /// The text as given.
        input: String,
        /// The part that should have been the port.
        port: String,
    },
    /// The text names no host, or an IPv6 address without brackets.
    #[error(
        "`{input}` is not host:port; write a host name or IPv4 address as host:7777 and an \
         IPv6 address in brackets, as [::1]:7777"
    )]
    Malformed {
        /// The text as given.
        input: String,
    },
    /// The system resolver could not resolve the host name.
    #[error(
        "could not resolve the host name `{host}`: {source}; check the spelling and the network, \
         or give an IP address such as 127.0.0.1:7777"
    )]
    Lookup {
        /// The host name.
        host: String,
        /// The resolver's error.
        source: io::Error,
    },
    /// The host name resolved to no address.
    #[error(
        "the host name `{host}` has no IPv4 or IPv6 address; check the spelling, or give an IP \
         address such as 127.0.0.1:7777"
    )]
    NoAddress {
        /// The host name.
        host: String,
    },
}

/// Turns `text`, a `host:port` as people write it, into one socket address.
///
/// Accepts an IPv4 address (`10.0.0.5:7777`), an IPv6 address in brackets (`[::1]:7777`), or
/// a host name (`localhost:7777`, `play.example.com:7777`). A host name is looked up **once,
/// now, by the system resolver, blocking the calling thread** until it answers: usually well
/// under a millisecond for `localhost` or a cached name, but up to the resolver's timeout
/// (seconds) when DNS does not answer. So resolve at start-up or behind a loading screen, not
/// every frame; the address is never looked up again (a name whose address changes later
/// keeps the address it had).
///
/// When a name has several addresses, the choice is deterministic: the first IPv4 address in
/// the resolver's order, or, when it has none, its first IPv6 address. IPv4 first because
/// listeners most often bind the IPv4 wildcard (`0.0.0.0:7777`), which an IPv6 address of the
/// same host (`localhost` is often both `127.0.0.1` and `::1`) would miss; give an IPv6
/// literal to connect over IPv6.
///
/// Errors say what to write instead: [`ResolveError::MissingPort`] for `localhost`,
/// [`ResolveError::Malformed`] for `::1:7777`, [`ResolveError::Lookup`] for a name the
/// resolver does not know.
pub fn resolve_udp_addr(text: &str) -> Result<SocketAddr, ResolveError> {
    let text = text.trim();
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let (host, port) = split_host_port(text)?;
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    let lookup = |source| ResolveError::Lookup { host: host.to_owned(), source };
    let addrs: Vec<SocketAddr> = (host, port).to_socket_addrs().map_err(lookup)?.collect();
    let chosen = addrs.iter().find(|addr| addr.is_ipv4()).or_else(|| addrs.first());
    chosen.copied().ok_or_else(|| ResolveError::NoAddress { host: host.to_owned() })
}

/// Splits `host:port` (or `[ipv6]:port`) into its host, brackets removed, and its port.
fn split_host_port(text: &str) -> Result<(&str, u16), ResolveError> {
    let malformed = || ResolveError::Malformed { input: text.to_owned() };
    let missing_port = || ResolveError::MissingPort { input: text.to_owned() };
    let (host, port) = if let Some(bracketed) = text.strip_prefix('[') {
        let (host, rest) = bracketed.split_once(']').ok_or_else(malformed)?;
        if rest.is_empty() {
            return Err(missing_port());
        }
        (host, rest.strip_prefix(':').ok_or_else(malformed)?)
    } else {
        let (host, port) = text.rsplit_once(':').ok_or_else(missing_port)?;
        if host.contains(':') {
            // `::1:7777`: an IPv6 address without brackets, where the port cannot be told
            // from the address.
            return Err(malformed());
        }
        (host, port)
    };
    if host.is_empty() || host.chars().any(char::is_whitespace) {
        return Err(malformed());
    }
    if port.is_empty() {
        return Err(missing_port());
    }
    let invalid = || ResolveError::InvalidPort { input: text.to_owned(), port: port.to_owned() };
    Ok((host, port.parse().map_err(|_| invalid())?))
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    #[test]
    fn ip_literals_need_no_resolver() {
        let v4 = SocketAddr::from((Ipv4Addr::new(10, 0, 0, 5), 7777));
        assert_eq!(resolve_udp_addr("10.0.0.5:7777").unwrap(), v4);
        assert_eq!(resolve_udp_addr(" 10.0.0.5:7777\n").unwrap(), v4);
        let v6 = SocketAddr::from((Ipv6Addr::LOCALHOST, 7777));
        assert_eq!(resolve_udp_addr("[::1]:7777").unwrap(), v6);
    }

    #[test]
    fn a_missing_port_says_how_to_write_one() {
        for input in ["localhost", "localhost:", "[::1]", "10.0.0.5"] {
            let error = resolve_udp_addr(input).unwrap_err();
            assert!(matches!(error, ResolveError::MissingPort { .. }), "{input}: {error:?}");
            assert!(error.to_string().contains("host:port"), "{error}");
        }
    }

    #[test]
    fn ipv6_without_brackets_and_bad_ports_are_refused() {
        for input in ["::1:7777", ":7777", "[::1]7777", "[::1:7777"] {
            let error = resolve_udp_addr(input).unwrap_err();
            assert!(matches!(error, ResolveError::Malformed { .. }), "{input}: {error:?}");
        }
        for input in ["localhost:port", "localhost:70000", "[::1]:-1"] {
            let error = resolve_udp_addr(input).unwrap_err();
            assert!(matches!(error, ResolveError::InvalidPort { .. }), "{input}: {error:?}");
        }
    }
}
