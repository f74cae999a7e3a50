//! One `send_batch` with datagrams for several destinations delivers every one of them, with
//! the right bytes, and the receivers see the sender's address as the source.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use stardust::udp::{PortSocket, RecvBatch, SendBatch, SocketConfig};

fn bind() -> PortSocket {
    PortSocket::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), &SocketConfig::default()).unwrap()
}

/// Datagram `i`: its index then a pattern, so a mix-up of bytes between slots shows.
fn payload(i: usize) -> Vec<u8> {
    let mut bytes = (i as u32).to_be_bytes().to_vec();
    bytes.extend((0..(i % 50 + 8)).map(|k| (i * 7 + k) as u8));
    bytes
}

#[test]
fn every_datagram_arrives_intact_at_its_destination() {
    const N: usize = 150; // more than one syscall's worth, so the chunking is exercised
    let sender = bind();
    let receivers: Vec<PortSocket> = (0..3).map(|_| bind()).collect();

    let mut batch = SendBatch::new(N, 1200);
    for i in 0..N {
        batch.push(receivers[i % 3].local_addr(), &payload(i)).unwrap();
    }
    assert_eq!(batch.len(), N);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut sent = 0;
    while !batch.is_empty() && Instant::now() < deadline {
        sent += sender.send_batch(&mut batch).unwrap();
    }
    assert_eq!(sent, N);
    assert!(batch.is_empty());

    let mut got: HashMap<usize, (SocketAddr, Vec<u8>)> = HashMap::new();
    let mut recv = RecvBatch::new(32, 1200);
    for (r, receiver) in receivers.iter().enumerate() {
        let expected = (0..N).filter(|i| i % 3 == r).count();
        let mut here = 0;
        while here < expected && Instant::now() < deadline {
            here += receiver.recv_batch(&mut recv).unwrap();
            assert_eq!(recv.truncated(), 0);
            for datagram in recv.iter() {
                let index = u32::from_be_bytes(datagram.bytes[..4].try_into().unwrap()) as usize;
                assert_eq!(index % 3, r, "datagram {index} reached the wrong receiver");
                got.insert(index, (datagram.from, datagram.bytes.to_vec()));
            }
        }
    }
    assert_eq!(got.len(), N, "some datagrams never arrived");
    for (i, (from, bytes)) in &got {
        assert_eq!(*from, sender.local_addr());
        assert_eq!(*bytes, payload(*i));
    }
}
