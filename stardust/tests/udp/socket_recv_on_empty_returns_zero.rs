//! Receiving on a socket with nothing waiting returns 0 at once instead of blocking, before
//! any traffic and again after the socket was drained.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use stardust::udp::{PortSocket, RecvBatch, SocketConfig};

#[test]
fn empty_socket_yields_zero_without_blocking() {
    let socket =
        PortSocket::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), &SocketConfig::default())
            .unwrap();
    let mut batch = RecvBatch::new(16, 1200);
    let started = Instant::now();
    assert_eq!(socket.recv_batch(&mut batch).unwrap(), 0);
    assert_eq!(batch.iter().count(), 0);

    let peer = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    peer.send_to(b"hello", socket.local_addr()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while batch.received() == 0 && Instant::now() < deadline {
        socket.recv_batch(&mut batch).unwrap();
    }
    assert_eq!(batch.iter().map(|d| d.bytes).collect::<Vec<_>>(), vec![b"hello".as_slice()]);

    assert_eq!(socket.recv_batch(&mut batch).unwrap(), 0, "a drained socket must report 0");
    assert_eq!(batch.iter().count(), 0, "the previous receive must be forgotten");
    // A blocking receive would hang here until the deadline; this is a guard, not a speed figure.
    assert!(started.elapsed() < Duration::from_secs(5));
}
