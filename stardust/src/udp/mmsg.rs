//! The batched datagram syscalls, `recvmmsg` and `sendmmsg`, on Linux and Android.
//!
//! This is the only file of Stardust with unsafe code: the two calls take arrays of C headers
//! pointing into caller buffers. Everything else of the UDP transport is safe. The header,
//! iovec and address arrays live on the stack of each call and hold at most [`CHUNK`] entries,
//! so a batch costs one syscall and no heap allocation.
#![allow(unsafe_code)]

use std::io;
use std::mem;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, UdpSocket};
use std::os::fd::AsRawFd;
use std::ptr;

use socket2::SockAddr;

use super::socket::SlotMeta;

/// The most datagrams one syscall moves.
pub(super) const CHUNK: usize = 64;

/// Receives up to `min(metas.len(), CHUNK)` datagrams without blocking, datagram `i` into
/// `buffers[i * stride..(i + 1) * stride]`, its source and real length into `metas[i]`.
///
/// Returns how many arrived; 0 when none was waiting. A datagram longer than `stride` keeps
/// its real length in `len`, so the caller sees it was cut.
pub(super) fn recv(
    socket: &UdpSocket,
    buffers: &mut [u8],
    stride: usize,
    metas: &mut [SlotMeta],
) -> io::Result<usize> {
    let count = metas.len().min(CHUNK).min(buffers.len().checked_div(stride).unwrap_or(0));
    if count == 0 {
        return Ok(0);
    }
    // SAFETY: these are plain C structs of integers and pointers, for which all-zero bytes are
    // a valid value (null pointers, zero lengths).
    let mut names: [libc::sockaddr_storage; CHUNK] = unsafe { mem::zeroed() };
    // SAFETY: as above.
    let mut iovecs: [libc::iovec; CHUNK] = unsafe { mem::zeroed() };
    // SAFETY: as above.
    let mut headers: [libc::mmsghdr; CHUNK] = unsafe { mem::zeroed() };

    for (iovec, slot) in iovecs.iter_mut().zip(buffers.chunks_exact_mut(stride)).take(count) {
        iovec.iov_base = slot.as_mut_ptr().cast();
        iovec.iov_len = slot.len();
    }
    let names_ptr = names.as_mut_ptr();
    let iovecs_ptr = iovecs.as_mut_ptr();
    for (i, header) in headers.iter_mut().enumerate().take(count) {
        // SAFETY: i < count <= CHUNK, so both offsets stay inside their arrays.
        unsafe {
            header.msg_hdr.msg_name = names_ptr.add(i).cast();
            header.msg_hdr.msg_iov = iovecs_ptr.add(i);
        }
        header.msg_hdr.msg_namelen = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        header.msg_hdr.msg_iovlen = 1;
    }

    let received = loop {
        // SAFETY: the first `count` headers each point at their own name storage and their own
        // iovec, which points at a distinct `stride`-byte slot of `buffers`; all of them outlive
        // the call and nothing else accesses them during it. MSG_DONTWAIT keeps the call from
        // blocking even if the socket were blocking; MSG_TRUNC makes the kernel report the real
        // length of a datagram longer than its slot.
        let n = unsafe {
            libc::recvmmsg(
                socket.as_raw_fd(),
                headers.as_mut_ptr(),
                count as _,
                (libc::MSG_DONTWAIT | libc::MSG_TRUNC) as _,
                ptr::null_mut(),
            )
        };
        if let Ok(n) = usize::try_from(n) {
            break n;
        }
        let error = io::Error::last_os_error();
        match error.kind() {
            io::ErrorKind::Interrupted => continue,
            io::ErrorKind::WouldBlock => return Ok(0),
            _ => return Err(error),
        }
    };

    for ((meta, header), name) in metas.iter_mut().zip(&headers).zip(&names).take(received) {
        let cut = header.msg_hdr.msg_flags & libc::MSG_TRUNC != 0;
        let len = header.msg_len as usize;
        *meta = SlotMeta {
            from: decode_addr(name, header.msg_hdr.msg_namelen),
            len,
            truncated: cut || len > stride,
        };
    }
    Ok(received)
}

/// Sends `datagrams[i]` to `destinations[i]` for up to `CHUNK` of them in one syscall, without
/// blocking.
///
/// Returns how many left, in order, from the front; 0 when the socket buffer is full. An error
/// means the kernel refused the first datagram (the ones before were counted in an `Ok`).
pub(super) fn send<'a>(
    socket: &UdpSocket,
    datagrams: impl Iterator<Item = &'a [u8]>,
    destinations: &[SockAddr],
) -> io::Result<usize> {
    // SAFETY: plain C structs of integers and pointers; all-zero bytes are a valid value.
    let mut iovecs: [libc::iovec; CHUNK] = unsafe { mem::zeroed() };
    // SAFETY: as above.
    let mut headers: [libc::mmsghdr; CHUNK] = unsafe { mem::zeroed() };

    let mut count = 0;
    for (iovec, datagram) in iovecs.iter_mut().zip(datagrams).take(destinations.len()) {
        // sendmmsg only reads through iov_base; the pointer is mutable because the same struct
        // serves recvmsg.
        iovec.iov_base = datagram.as_ptr().cast_mut().cast();
        iovec.iov_len = datagram.len();
        count += 1;
    }
    if count == 0 {
        return Ok(0);
    }
    let iovecs_ptr = iovecs.as_mut_ptr();
    for (i, (header, destination)) in headers.iter_mut().zip(destinations).enumerate().take(count) {
        // sendmmsg only reads the address; see above for the mutable pointer.
        header.msg_hdr.msg_name = destination.as_ptr().cast_mut().cast();
        header.msg_hdr.msg_namelen = destination.len();
        // SAFETY: i < count <= CHUNK, so the offset stays inside `iovecs`.
        header.msg_hdr.msg_iov = unsafe { iovecs_ptr.add(i) };
        header.msg_hdr.msg_iovlen = 1;
    }

    loop {
        // SAFETY: the first `count` headers each point at one live iovec (pointing at a live
        // datagram slice) and one live destination address, all borrowed for the whole call;
        // the kernel only reads them, and writes nothing but `msg_len` in `headers`.
        let n = unsafe {
            libc::sendmmsg(
                socket.as_raw_fd(),
                headers.as_mut_ptr(),
                count as _,
                libc::MSG_DONTWAIT as _,
            )
        };
        if let Ok(n) = usize::try_from(n) {
            return Ok(n);
        }
        let error = io::Error::last_os_error();
        match error.kind() {
            io::ErrorKind::Interrupted => continue,
            io::ErrorKind::WouldBlock => return Ok(0),
            _ => return Err(error),
        }
    }
}

/// Reads an IPv4 or IPv6 source address the kernel wrote; `None` for any other family.
fn decode_addr(name: &libc::sockaddr_storage, len: libc::socklen_t) -> Option<SocketAddr> {
    let len = len as usize;
    match i32::from(name.ss_family) {
        libc::AF_INET if len >= mem::size_of::<libc::sockaddr_in>() => {
            // SAFETY: the kernel wrote a sockaddr_in (family AF_INET, length checked), and
            // sockaddr_storage is large enough and aligned for every sockaddr type.
            let sin = unsafe { &*ptr::from_ref(name).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(sin.sin_port))))
        }
        libc::AF_INET6 if len >= mem::size_of::<libc::sockaddr_in6>() => {
            // SAFETY: as above, for sockaddr_in6 and AF_INET6.
            let sin6 = unsafe { &*ptr::from_ref(name).cast::<libc::sockaddr_in6>() };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(sin6.sin6_addr.s6_addr),
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}
