//! The SO_RCVBUF/SO_SNDBUF sizes in SocketConfig reach the socket, and a bind error names the
//! address and says what to do.

use std::net::{Ipv4Addr, SocketAddr};

use stardust::udp::{BindError, PortSocket, SocketConfig};

#[test]
fn requested_buffer_sizes_are_granted() {
    let small =
        SocketConfig { recv_buffer_size: Some(16 * 1024), send_buffer_size: Some(16 * 1024) };
    let large =
        SocketConfig { recv_buffer_size: Some(128 * 1024), send_buffer_size: Some(128 * 1024) };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let small = PortSocket::bind(addr, &small).unwrap();
    let large = PortSocket::bind(addr, &large).unwrap();
    // The OS may round or double the request, but a larger request yields a larger buffer.
    assert!(small.recv_buffer_size().unwrap() >= 16 * 1024);
    assert!(large.recv_buffer_size().unwrap() >= 128 * 1024);
    assert!(large.recv_buffer_size().unwrap() > small.recv_buffer_size().unwrap());
    assert!(large.send_buffer_size().unwrap() > small.send_buffer_size().unwrap());
}

#[test]
fn binding_a_taken_port_explains_itself() {
    let config = SocketConfig::default();
    let first = PortSocket::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), &config).unwrap();
    let error = PortSocket::bind(first.local_addr(), &config).unwrap_err();
    assert!(matches!(error, BindError::Bind { addr, .. } if addr == first.local_addr()));
    let message = error.to_string();
    assert!(message.contains(&first.local_addr().to_string()), "{message}");
    assert!(message.contains("pick a free port"), "{message}");
}
