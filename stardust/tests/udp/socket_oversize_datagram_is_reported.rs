//! A datagram longer than the batch's maximum is counted as truncated and never handed on as
//! valid, while the datagrams around it, including one of exactly the maximum size, are.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use stardust::udp::{PortSocket, PushError, RecvBatch, SendBatch, SocketConfig};

#[test]
fn oversize_datagram_is_counted_not_yielded() {
    let socket =
        PortSocket::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), &SocketConfig::default())
            .unwrap();
    let peer = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let exact = vec![0xAB; 100];
    for datagram in [&b"before"[..], &[0xCD; 101], &[0xEF; 500], &exact, b"after"] {
        peer.send_to(datagram, socket.local_addr()).unwrap();
    }

    let mut batch = RecvBatch::new(16, 100);
    let mut received = 0;
    let mut truncated = 0;
    let mut valid: Vec<Vec<u8>> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while received < 5 && Instant::now() < deadline {
        received += socket.recv_batch(&mut batch).unwrap();
        truncated += batch.truncated();
        valid.extend(batch.iter().map(|d| {
            assert_eq!(d.from, peer.local_addr().unwrap());
            d.bytes.to_vec()
        }));
    }
    assert_eq!(received, 5);
    assert_eq!(truncated, 2, "the 101- and 500-byte datagrams must be reported");
    assert_eq!(valid, vec![b"before".to_vec(), exact, b"after".to_vec()]);
}

#[test]
fn oversize_datagram_is_refused_when_queued() {
    let mut batch = SendBatch::new(2, 100);
    let to = SocketAddr::from((Ipv4Addr::LOCALHOST, 9));
    assert_eq!(batch.push(to, &[0; 101]), Err(PushError::TooLarge { len: 101, max: 100 }));
    assert!(batch.is_empty());
    batch.push(to, &[0; 100]).unwrap();
    batch.push(to, &[]).unwrap();
    assert_eq!(batch.push(to, b"x"), Err(PushError::Full { capacity: 2 }));
    assert_eq!(batch.len(), 2);
}
