//! The batched datagram syscalls, `recvmmsg` and `sendmmsg` (`sendto` for a lone datagram), on
//! Linux and Android.
//!
//! With `errqueue.rs` (ICMP error reports), the only file of Stardust with unsafe code: the
//! two calls take arrays of C headers pointing into caller buffers. Everything else of the
//! UDP transport is safe. The header,
//! iovec and address arrays live on the stack of each call and hold at most [`CHUNK`] entries,
//! of which only those in use are initialised, so a batch costs one syscall and no heap
//! allocation.
#![allow(unsafe_code)]

use std::io;
use std::mem::{self, MaybeUninit};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, UdpSocket};
use std::os::fd::AsRawFd;
use std::ptr;

use socket2::SockAddr;

use super::batch::SlotMeta;
use super::retry::{nonblocking, os_result, past_refusal};

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
    // Only the first `count` entries are initialised: a receive of one datagram, the common
    // case when polling, then costs no memset of the whole chunk. The kernel fills the names.
    let mut names = [const { MaybeUninit::<libc::sockaddr_storage>::uninit() }; CHUNK];
    let mut iovecs = [const { MaybeUninit::<libc::iovec>::uninit() }; CHUNK];
    let mut headers = [const { MaybeUninit::<libc::mmsghdr>::uninit() }; CHUNK];
    for (i, slot) in buffers.chunks_exact_mut(stride).take(count).enumerate() {
        iovecs[i].write(libc::iovec { iov_base: slot.as_mut_ptr().cast(), iov_len: slot.len() });
        // SAFETY: mmsghdr is a plain C struct of integers and pointers, for which all-zero bytes
        // are a valid value (null pointers, zero lengths, no flags).
        let mut header: libc::mmsghdr = unsafe { mem::zeroed() };
        header.msg_hdr.msg_name = names[i].as_mut_ptr().cast();
        header.msg_hdr.msg_namelen = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        header.msg_hdr.msg_iov = iovecs[i].as_mut_ptr();
        header.msg_hdr.msg_iovlen = 1;
        headers[i].write(header);
    }

    let received = nonblocking(|| {
        // SAFETY: the first `count` headers are initialised; each points at its own name
        // storage and its own iovec, which points at a distinct `stride`-byte slot of
        // `buffers`; all of them outlive the call and nothing else accesses them during it.
        // MSG_DONTWAIT keeps the call from blocking even on a blocking socket; MSG_TRUNC makes
        // the kernel report the real length of a datagram longer than its slot.
        let n = unsafe {
            libc::recvmmsg(
                socket.as_raw_fd(),
                headers.as_mut_ptr().cast(),
                count as _,
                (libc::MSG_DONTWAIT | libc::MSG_TRUNC) as _,
                ptr::null_mut(),
            )
        };
        os_result(n as isize).map(|n| n.min(count))
    })?;
    let Some(received) = received else { return Ok(0) };

    for ((meta, header), name) in metas.iter_mut().zip(&headers).zip(&names).take(received) {
        // SAFETY: `received <= count` and the first `count` headers were initialised above.
        let header = unsafe { header.assume_init_ref() };
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

/// Sends `datagrams[i]` to `destinations[i]` for up to `CHUNK` of them in one syscall
/// (`sendmmsg`, or `sendto` for a single one), without blocking.
///
/// Returns how many left, in order, from the front; 0 when the socket buffer is full. An error
/// means the kernel refused the first datagram (the ones before were counted in an `Ok`).
pub(super) fn send<'a>(
    socket: &UdpSocket,
    datagrams: impl Iterator<Item = &'a [u8]>,
    destinations: &[SockAddr],
    connected: Option<&SockAddr>,
) -> io::Result<usize> {
    let mut iovecs = [const { MaybeUninit::<libc::iovec>::uninit() }; CHUNK];
    let mut headers = [const { MaybeUninit::<libc::mmsghdr>::uninit() }; CHUNK];
    let mut count = 0;
    for (datagram, destination) in datagrams.zip(destinations).take(CHUNK) {
        // sendmmsg only reads through iov_base and msg_name; the pointers are mutable because
        // the same structs serve recvmsg.
        iovecs[count].write(libc::iovec {
            iov_base: datagram.as_ptr().cast_mut().cast(),
            iov_len: datagram.len(),
        });
        // SAFETY: plain C struct; all-zero bytes are a valid value.
        let mut header: libc::mmsghdr = unsafe { mem::zeroed() };
        // To the address the socket is connected to, no name: the kernel then uses the route
        // it keeps for the connection instead of looking one up.
        if connected != Some(destination) {
            header.msg_hdr.msg_name = destination.as_ptr().cast_mut().cast();
            header.msg_hdr.msg_namelen = destination.len();
        }
        header.msg_hdr.msg_iov = iovecs[count].as_mut_ptr();
        header.msg_hdr.msg_iovlen = 1;
        headers[count].write(header);
        count += 1;
    }
    if count == 0 {
        return Ok(0);
    }

    let sent = if count == 1 {
        // One datagram, the usual reply of a frame: `sendto` spares the kernel copying in
        // and walking an mmsghdr array (about 7 % of the call on loopback).
        // SAFETY: header 0 was initialised above.
        let header = unsafe { &headers[0].assume_init_ref().msg_hdr };
        past_refusal(|| nonblocking(|| send_one(socket, header)))?
    } else {
        past_refusal(|| nonblocking(|| send_many(socket, &mut headers[..count])))?
    };
    Ok(sent.unwrap_or(0))
}

/// `sendto` of the one datagram `header` describes; `Ok(1)` once it left.
fn send_one(socket: &UdpSocket, header: &libc::msghdr) -> io::Result<usize> {
    // SAFETY: `header` points at one live iovec (pointing at a live datagram slice) and one
    // live destination address (or none), all borrowed for the whole call; the kernel only
    // reads them.
    let sent = unsafe {
        let iovec = &*header.msg_iov;
        libc::sendto(
            socket.as_raw_fd(),
            iovec.iov_base,
            iovec.iov_len,
            libc::MSG_DONTWAIT,
            header.msg_name.cast_const().cast(),
            header.msg_namelen,
        )
    };
    // The byte count of a datagram sent whole, or -1: one datagram, or the error.
    os_result(sent).map(|_| 1)
}

/// `sendmmsg` of every (initialised) header of `headers`; how many left, from the front.
fn send_many(socket: &UdpSocket, headers: &mut [MaybeUninit<libc::mmsghdr>]) -> io::Result<usize> {
    // SAFETY: every header of `headers` is initialised; each points at one live iovec
    // (pointing at a live datagram slice) and one live destination address, all borrowed for
    // the whole call. The kernel only reads them and writes `msg_len` in `headers`.
    let sent = unsafe {
        libc::sendmmsg(
            socket.as_raw_fd(),
            headers.as_mut_ptr().cast(),
            headers.len() as _,
            libc::MSG_DONTWAIT as _,
        )
    };
    os_result(sent as isize).map(|n| n.min(headers.len()))
}

/// Connects a UDP socket to `remote`; returns `true` (it is connected).
pub(super) fn connect(socket: &UdpSocket, remote: SocketAddr) -> io::Result<bool> {
    socket.connect(remote)?;
    Ok(true)
}

/// Reads the IPv4 or IPv6 source address the kernel wrote in the first `len` bytes of `name`;
/// `None` for any other family or a length too short for one.
pub(super) fn decode_addr(
    name: &MaybeUninit<libc::sockaddr_storage>,
    len: libc::socklen_t,
) -> Option<SocketAddr> {
    let len = len as usize;
    if len < mem::size_of::<libc::sa_family_t>() {
        return None;
    }
    // SAFETY: the kernel wrote `len` bytes, enough for the family field that opens every
    // sockaddr type.
    let family = unsafe { (*name.as_ptr()).ss_family };
    match i32::from(family) {
        libc::AF_INET if len >= mem::size_of::<libc::sockaddr_in>() => {
            // SAFETY: the kernel wrote a whole sockaddr_in (family AF_INET, length checked), and
            // sockaddr_storage is large enough and aligned for every sockaddr type.
            let sin = unsafe { &*name.as_ptr().cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(sin.sin_port))))
        }
        libc::AF_INET6 if len >= mem::size_of::<libc::sockaddr_in6>() => {
            // SAFETY: as above, for a whole sockaddr_in6 and AF_INET6.
            let sin6 = unsafe { &*name.as_ptr().cast::<libc::sockaddr_in6>() };
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
