//! ICMP errors about datagrams a socket sent, on Linux and Android: asking for them
//! (`IP_RECVERR` / `IPV6_RECVERR`) and reading the "port unreachable" ones from the socket's
//! error queue (`MSG_ERRQUEUE`).
//!
//! An unconnected UDP socket hears nothing of ICMP errors unless it asks. Once it asks, the
//! kernel queues each error with the destination of the datagram that caused it, and the
//! socket's next receive or send also fails once with that error until the queue is read
//! (reading it clears the pending error).
//!
//! With `mmsg.rs`, the only file of Stardust with unsafe code: `recvmsg` takes a C header
//! pointing into buffers on this function's stack, and the control messages it fills are C
//! structs read by pointer.
#![allow(unsafe_code)]

use std::io;
use std::mem::{self, MaybeUninit};
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::ptr;

use super::mmsg::decode_addr;
use super::retry::{nonblocking, os_result};

/// Errors read per call at most, so that a flood of ICMP cannot hold a frame.
const MAX_ERRORS: usize = 64;

/// Asks for (`on`) or stops (`!on`) the ICMP error reports of `socket`, an IPv6 socket when
/// `ipv6`. Stopping also empties the error queue. Returns `true`: the OS honours both.
pub(super) fn report_errors(socket: &UdpSocket, ipv6: bool, on: bool) -> io::Result<bool> {
    let (level, name) =
        if ipv6 { (libc::SOL_IPV6, libc::IPV6_RECVERR) } else { (libc::SOL_IP, libc::IP_RECVERR) };
    let value = libc::c_int::from(on);
    // SAFETY: `value` is a live c_int for the whole call and its size is passed; the kernel
    // only reads it.
    let result = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            name,
            (&raw const value).cast(),
            mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    os_result(result as isize).map(|_| true)
}

/// Reads the errors queued on `socket` (at most [`MAX_ERRORS`]), calling `refused` with the
/// destination of each datagram that an ICMP "port unreachable" answered; other errors are
/// read and passed over. Returns how many errors were read; `Ok(0)` when none was queued.
pub(super) fn take_refused(
    socket: &UdpSocket,
    mut refused: impl FnMut(SocketAddr),
) -> io::Result<usize> {
    let mut read = 0;
    for _ in 0..MAX_ERRORS {
        let mut name = MaybeUninit::<libc::sockaddr_storage>::uninit();
        // The payload (the start of the datagram that caused the error) is not needed: one
        // byte, cut by the kernel.
        let mut payload = [0u8; 1];
        // u64s: aligned for `cmsghdr`; room for the extended error and the offender's address.
        let mut control = [0u64; 32];
        let mut iovec = libc::iovec { iov_base: payload.as_mut_ptr().cast(), iov_len: 1 };
        // SAFETY: msghdr is a plain C struct; all-zero bytes are a valid value.
        let mut header: libc::msghdr = unsafe { mem::zeroed() };
        header.msg_name = name.as_mut_ptr().cast();
        header.msg_namelen = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        header.msg_iov = &raw mut iovec;
        header.msg_iovlen = 1;
        header.msg_control = control.as_mut_ptr().cast();
        header.msg_controllen = mem::size_of_val(&control) as _;
        let got = nonblocking(|| {
            // SAFETY: `header` points at `name`, `iovec` (pointing at `payload`) and `control`,
            // each with its true size, all live and untouched for the whole call.
            let n = unsafe {
                libc::recvmsg(
                    socket.as_raw_fd(),
                    &raw mut header,
                    libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT,
                )
            };
            os_result(n as isize)
        })?;
        if got.is_none() {
            break;
        }
        read += 1;
        if is_port_unreachable(&header)
            && let Some(destination) = decode_addr(&name, header.msg_namelen)
        {
            refused(destination);
        }
    }
    Ok(read)
}

/// Whether the control messages `header` received carry an ICMP (or ICMPv6) error that the
/// kernel reports as `ECONNREFUSED`: "port unreachable".
fn is_port_unreachable(header: &libc::msghdr) -> bool {
    let wanted = mem::size_of::<libc::sock_extended_err>();
    // SAFETY: `header` was filled by a successful recvmsg: its control pointer and the length
    // the kernel wrote describe initialised control messages, which CMSG_FIRSTHDR and
    // CMSG_NXTHDR walk without leaving that length.
    let mut cmsg = unsafe { libc::CMSG_FIRSTHDR(header) };
    while !cmsg.is_null() {
        // SAFETY: non-null, so within the control buffer, and aligned by the kernel.
        let message = unsafe { &*cmsg };
        let ours = (message.cmsg_level == libc::SOL_IP && message.cmsg_type == libc::IP_RECVERR)
            || (message.cmsg_level == libc::SOL_IPV6 && message.cmsg_type == libc::IPV6_RECVERR);
        // SAFETY: CMSG_LEN only computes a length.
        let needed = unsafe { libc::CMSG_LEN(wanted as libc::c_uint) } as usize;
        if ours && message.cmsg_len as usize >= needed {
            // SAFETY: the message's data holds at least a whole sock_extended_err (length
            // checked); read unaligned, as the data need not be aligned for it.
            let error: libc::sock_extended_err =
                unsafe { ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast()) };
            let icmp =
                matches!(error.ee_origin, libc::SO_EE_ORIGIN_ICMP | libc::SO_EE_ORIGIN_ICMP6);
            return icmp && error.ee_errno == libc::ECONNREFUSED as u32;
        }
        // SAFETY: as for CMSG_FIRSTHDR; `cmsg` is a message of `header`.
        cmsg = unsafe { libc::CMSG_NXTHDR(header, cmsg) };
    }
    false
}
