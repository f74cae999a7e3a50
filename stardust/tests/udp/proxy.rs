//! An attacker on the path, in process: a UDP proxy between clients and a listener on
//! loopback, no root needed.
//!
//! The listener binds 127.0.0.1; the proxy binds the same port numbers on 127.0.0.2 (the whole
//! 127/8 is loopback on Linux), so a client that connects to 127.0.0.2:listen finds the data
//! ports the listener hands out at 127.0.0.2 too. Each client gets its own upstream socket:
//! the address the listener sees for it. The proxy reads, may keep, change, drop or add
//! datagrams (`tamper`), and can send anything from a client's upstream socket: spoofing that
//! client's address as an attacker on the path could.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};

/// The proxy's own loopback address.
pub const PROXY_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// Which way a datagram goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// From a client to the listener.
    Up,
    /// From the listener to a client.
    Down,
}

/// What the proxy does with one datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Forward it unchanged.
    Pass,
    /// Drop it.
    Drop,
    /// Forward these datagrams instead (none, it, changed copies, extra ones).
    Send(Vec<Vec<u8>>),
}

/// One datagram the proxy saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub way: Way,
    /// The listener port it was sent to or from.
    pub port: u16,
    pub bytes: Vec<u8>,
}

struct Client {
    upstream: UdpSocket,
}

/// The proxy. Drive it with [`pump`](Self::pump) between App updates.
pub struct Proxy {
    /// Listener port → the proxy's socket on that port number.
    fronts: HashMap<u16, UdpSocket>,
    clients: HashMap<SocketAddr, Client>,
    /// Everything seen, in order.
    pub log: Vec<Seen>,
}

fn bind(addr: SocketAddr) -> UdpSocket {
    let socket = UdpSocket::bind(addr).unwrap_or_else(|e| panic!("proxy bind {addr}: {e}"));
    socket.set_nonblocking(true).unwrap();
    socket
}

impl Proxy {
    /// A proxy in front of the listener ports `ports` (its listen port and peer ports, bound
    /// on 127.0.0.1).
    pub fn new(ports: impl IntoIterator<Item = u16>) -> Proxy {
        let fronts = ports
            .into_iter()
            .map(|port| (port, bind(SocketAddr::from((PROXY_IP, port)))))
            .collect();
        Proxy { fronts, clients: HashMap::new(), log: Vec::new() }
    }

    /// Where a client reaches the listener's `port` through the proxy.
    pub fn front(port: u16) -> SocketAddr {
        SocketAddr::from((PROXY_IP, port))
    }

    /// The address the listener sees for `client`.
    pub fn upstream_of(&self, client: SocketAddr) -> Option<SocketAddr> {
        self.clients.get(&client).map(|c| c.upstream.local_addr().unwrap())
    }

    /// The clients seen so far.
    pub fn clients(&self) -> Vec<SocketAddr> {
        self.clients.keys().copied().collect()
    }

    /// Gives `client` a new upstream socket: the listener sees it move to a new address (a
    /// NAT rebinding).
    pub fn rebind(&mut self, client: SocketAddr) {
        let upstream = bind(SocketAddr::from((PROXY_IP, 0)));
        self.clients.insert(client, Client { upstream });
    }

    /// Closes the proxy's socket in front of the listener's `port`: datagrams clients send
    /// there draw an ICMP "port unreachable", as if the listener's port had closed.
    pub fn close_front(&mut self, port: u16) {
        self.fronts.remove(&port);
    }

    /// Binds the proxy's socket in front of the listener's `port` again (after
    /// [`close_front`](Self::close_front)).
    pub fn reopen_front(&mut self, port: u16) {
        self.fronts.insert(port, bind(SocketAddr::from((PROXY_IP, port))));
    }

    /// Sends `bytes` to the listener's `port` from `client`'s upstream address, as that client.
    pub fn spoof_up(&self, client: SocketAddr, port: u16, bytes: &[u8]) {
        let upstream = &self.clients[&client].upstream;
        let _ = upstream.send_to(bytes, SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    }

    /// Sends `bytes` to `client` as if from the listener's `port`.
    pub fn spoof_down(&self, client: SocketAddr, port: u16, bytes: &[u8]) {
        let _ = self.fronts[&port].send_to(bytes, client);
    }

    /// Moves every waiting datagram one hop, asking `tamper` what to do with each. Returns
    /// how many it read.
    pub fn pump(&mut self, mut tamper: impl FnMut(&Seen) -> Verdict) -> usize {
        let mut moved = 0;
        let mut buf = [0u8; 2048];
        let ports: Vec<u16> = self.fronts.keys().copied().collect();
        for port in ports {
            while let Ok((len, from)) = self.fronts[&port].recv_from(&mut buf) {
                moved += 1;
                if !self.clients.contains_key(&from) {
                    self.rebind(from);
                }
                let seen = Seen { way: Way::Up, port, bytes: buf[..len].to_vec() };
                let out = outcome(tamper(&seen), &seen.bytes);
                let to = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
                for datagram in out {
                    let _ = self.clients[&from].upstream.send_to(&datagram, to);
                }
                self.log.push(seen);
            }
        }
        let clients: Vec<SocketAddr> = self.clients.keys().copied().collect();
        for client in clients {
            while let Ok((len, from)) = self.clients[&client].upstream.recv_from(&mut buf) {
                moved += 1;
                let port = from.port();
                let seen = Seen { way: Way::Down, port, bytes: buf[..len].to_vec() };
                let out = outcome(tamper(&seen), &seen.bytes);
                if let Some(front) = self.fronts.get(&port) {
                    for datagram in out {
                        let _ = front.send_to(&datagram, client);
                    }
                }
                self.log.push(seen);
            }
        }
        moved
    }
}

fn outcome(verdict: Verdict, bytes: &[u8]) -> Vec<Vec<u8>> {
    match verdict {
        Verdict::Pass => vec![bytes.to_vec()],
        Verdict::Drop => Vec::new(),
        Verdict::Send(datagrams) => datagrams,
    }
}

/// The ports of `listener` a proxy must stand in front of: its listen port and peer ports.
pub fn listener_ports(listener: &bevy::app::App) -> Vec<u16> {
    let transport = listener.world().resource::<stardust::udp::UdpTransport>();
    let listen = transport.listen_addr().expect("the app listens").port();
    std::iter::once(listen).chain(transport.peer_ports()).collect()
}

/// Runs the Apps and the proxy round after round (the proxy asking `tamper` about every
/// datagram) until `done` holds; bounded like every drive loop. Returns whether it held.
pub fn drive_through(
    proxy: &mut Proxy,
    apps: &mut [&mut bevy::app::App],
    limit: std::time::Duration,
    mut tamper: impl FnMut(&Seen) -> Verdict,
    mut done: impl FnMut(&mut [&mut bevy::app::App], &mut Proxy) -> bool,
) -> bool {
    let start = std::time::Instant::now();
    for _ in 0..crate::scenarios::MAX_ROUNDS {
        if done(apps, proxy) {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        for app in apps.iter_mut() {
            app.update();
            proxy.pump(&mut tamper);
        }
        std::thread::sleep(crate::support::FRAME_PAUSE);
    }
    done(apps, proxy)
}

/// Where every attack test starts: a listener with one peer port, a client App, and a proxy
/// between them, the client connected through it (both sides see the connection).
pub struct OnPath {
    pub listener: bevy::app::App,
    pub client: bevy::app::App,
    pub proxy: Proxy,
    /// The client's peer entity for the listener.
    pub outgoing: bevy::ecs::entity::Entity,
}

impl OnPath {
    /// Connects a client to a fresh listener through a fresh proxy; panics if that fails
    /// within the tests' deadline.
    pub fn connected() -> OnPath {
        let mut listener = crate::support::listener_app(1);
        let mut client = crate::support::connecting_app();
        let mut proxy = Proxy::new(listener_ports(&listener));
        let front = Proxy::front(crate::support::listen_addr(&listener).port());
        let outgoing = crate::support::connect(&mut client, front);
        let up = drive_through(
            &mut proxy,
            &mut [&mut listener, &mut client],
            crate::scenarios::DEADLINE,
            |_| Verdict::Pass,
            |apps, _| {
                crate::support::is_connected(apps[1], outgoing)
                    && crate::support::connected_accepted(apps[0]).len() == 1
            },
        );
        assert!(up, "the client did not connect through the proxy");
        OnPath { listener, client, proxy, outgoing }
    }
}
