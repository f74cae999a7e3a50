//! Portable single-datagram receive and send calls, with the contract of the batched ones in
//! `mmsg`: the platform calls of [`PortSocket`](super::PortSocket) where the OS has no
//! `recvmmsg`/`sendmmsg`.

use std::io;
use std::net::UdpSocket;

use socket2::SockAddr;

use super::batch::SlotMeta;
use super::retry::nonblocking;

pub(super) const CHUNK: usize = 64;

pub(super) fn recv(
    socket: &UdpSocket,
    buffers: &mut [u8],
    stride: usize,
    metas: &mut [SlotMeta],
) -> io::Result<usize> {
    let mut received = 0;
    for (slot, meta) in buffers.chunks_exact_mut(stride).zip(metas.iter_mut()) {
        let got = loop {
            match nonblocking(|| socket.recv_from(slot)) {
                // Windows reports an ICMP "port unreachable" for an earlier send as a
                // reset on the next receive; each report is consumed, so this ends.
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => continue,
                Err(_) if received > 0 => return Ok(received),
                other => break other?,
            }
        };
        let Some((len, from)) = got else { return Ok(received) };
        // The slot is one byte longer than the largest valid datagram, so a full slot
        // means the OS cut a longer one.
        *meta = SlotMeta { from: Some(from), len, truncated: len >= stride };
        received += 1;
    }
    Ok(received)
}

/// Sockets stay unconnected here: BSD kernels refuse a destination on a connected UDP
/// socket.
pub(super) fn connect(_socket: &UdpSocket, _remote: std::net::SocketAddr) -> io::Result<bool> {
    Ok(false)
}

pub(super) fn send<'a>(
    socket: &UdpSocket,
    datagrams: impl Iterator<Item = &'a [u8]>,
    destinations: &[SockAddr],
    _connected: Option<&SockAddr>,
) -> io::Result<usize> {
    let mut sent = 0;
    for (datagram, destination) in datagrams.zip(destinations) {
        let Some(to) = destination.as_socket() else {
            return if sent > 0 { Ok(sent) } else { Err(io::ErrorKind::InvalidInput.into()) };
        };
        match nonblocking(|| socket.send_to(datagram, to)) {
            Ok(Some(_)) => {}
            Ok(None) => return Ok(sent),
            Err(_) if sent > 0 => return Ok(sent),
            Err(e) => return Err(e),
        }
        sent += 1;
    }
    Ok(sent)
}
