//! When the OS refuses one datagram of a batch (here one addressed to port 0, which no socket
//! can have), send_batch reports the error, drops and counts that datagram, and the next call
//! sends the rest: one bad destination never blocks the others. The same holds for a batch of
//! a single datagram, which goes out with `sendto` rather than `sendmmsg`.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use stardust::udp::{PortSocket, RecvBatch, SendBatch, SocketConfig};

fn bind() -> PortSocket {
    PortSocket::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), &SocketConfig::default()).unwrap()
}

#[test]
fn refused_datagram_is_dropped_and_the_rest_go_out() {
    let sender = bind();
    let receiver = bind();
    let unreachable = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));

    let mut batch = SendBatch::new(8, 64);
    batch.push(receiver.local_addr(), b"one").unwrap();
    batch.push(unreachable, b"lost").unwrap();
    batch.push(receiver.local_addr(), b"two").unwrap();

    let mut errors = 0;
    let mut sent = 0;
    for _ in 0..10 {
        if batch.is_empty() {
            break;
        }
        match sender.send_batch(&mut batch) {
            Ok(n) => sent += n,
            Err(_) => errors += 1,
        }
    }
    assert_eq!(errors, 1);
    assert_eq!(batch.dropped(), 1);
    assert!(batch.is_empty());
    // "one" may have left in the call that failed, before the refused datagram.
    assert!(sent >= 1);

    let mut recv = RecvBatch::new(8, 64);
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while got.len() < 2 && Instant::now() < deadline {
        receiver.recv_batch(&mut recv).unwrap();
        got.extend(recv.iter().map(|d| d.bytes.to_vec()));
    }
    assert_eq!(got, vec![b"one".to_vec(), b"two".to_vec()]);
}

#[test]
fn a_lone_refused_datagram_is_dropped_and_the_next_lone_one_goes_out() {
    let sender = bind();
    let receiver = bind();
    let mut batch = SendBatch::new(8, 64);

    // A batch of one is sent with `sendto` rather than `sendmmsg`: same contract.
    batch.push(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), b"lost").unwrap();
    assert!(sender.send_batch(&mut batch).is_err());
    assert_eq!(batch.dropped(), 1);
    assert!(batch.is_empty());

    batch.push(receiver.local_addr(), b"kept").unwrap();
    assert_eq!(sender.send_batch(&mut batch).unwrap(), 1);
    assert!(batch.is_empty());

    let mut recv = RecvBatch::new(8, 64);
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while got.is_empty() && Instant::now() < deadline {
        receiver.recv_batch(&mut recv).unwrap();
        got.extend(recv.iter().map(|d| (d.from, d.bytes.to_vec())));
    }
    assert_eq!(got, vec![(sender.local_addr(), b"kept".to_vec())]);
}
