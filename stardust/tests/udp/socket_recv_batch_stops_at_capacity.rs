//! A receive takes at most the batch's capacity; the rest waits on the socket, in order, for
//! the next receive.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use stardust::udp::{PortSocket, RecvBatch, SocketConfig};

/// A port socket, and a plain socket to send to it from.
fn socket_and_peer() -> (PortSocket, UdpSocket) {
    let socket =
        PortSocket::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), &SocketConfig::default())
            .unwrap();
    (socket, UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap())
}

#[test]
fn ten_waiting_datagrams_come_as_four_four_two() {
    let (socket, peer) = socket_and_peer();
    for i in 0u8..10 {
        peer.send_to(&[i], socket.local_addr()).unwrap();
    }
    // Loopback delivers synchronously on send, but wait until all ten are visible to be safe.
    let mut batch = RecvBatch::new(4, 64);
    let mut sizes = Vec::new();
    let mut order = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while order.len() < 10 && Instant::now() < deadline {
        let n = socket.recv_batch(&mut batch).unwrap();
        if n > 0 {
            sizes.push(n);
            order.extend(batch.iter().map(|d| d.bytes[0]));
        }
    }
    assert_eq!(order, (0u8..10).collect::<Vec<_>>());
    assert!(sizes.iter().all(|&n| n <= 4), "a receive exceeded the capacity: {sizes:?}");
    assert_eq!(sizes, vec![4, 4, 2]);
    assert_eq!(socket.recv_batch(&mut batch).unwrap(), 0);
}

#[test]
fn a_large_batch_takes_every_waiting_datagram_in_one_receive() {
    // More than one syscall moves (the first asks for a few, the next for up to 64 each).
    let (socket, peer) = socket_and_peer();
    for i in 0u8..150 {
        peer.send_to(&[i], socket.local_addr()).unwrap();
    }
    let mut batch = RecvBatch::new(200, 64);
    let mut order = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while order.is_empty() && Instant::now() < deadline {
        socket.recv_batch(&mut batch).unwrap();
        order.extend(batch.iter().map(|d| d.bytes[0]));
    }
    assert_eq!(order, (0u8..150).collect::<Vec<_>>(), "one receive took them all, in order");
}
