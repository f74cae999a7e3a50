//! The one place a socket call is retried: every receive and send of the transport goes
//! through [`nonblocking`].

use std::io;

/// Runs a non-blocking socket call: again while a signal interrupts it (`EINTR`, which says
/// nothing about the socket), `Ok(None)` when it would block ("nothing now"), its result or
/// its error otherwise.
///
/// Never loops on anything else, so a lasting error is returned at once.
pub(super) fn nonblocking<T>(mut call: impl FnMut() -> io::Result<T>) -> io::Result<Option<T>> {
    loop {
        match call() {
            Ok(value) => return Ok(Some(value)),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(error) => return Err(error),
        }
    }
}

/// Runs a send, and again, once, if it fails with `ECONNREFUSED`. A UDP send never fails
/// with that error for its own datagram: the error is the socket's pending report of an ICMP
/// "port unreachable" that an earlier datagram drew (on a connected socket, or one with error
/// reports on), which the failed call cleared without sending anything. So the datagram is
/// not lost to another datagram's fate.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(super) fn past_refusal<T>(mut send: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    match send() {
        Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => send(),
        other => other,
    }
}

/// A libc call's return value as a result: the count, or the OS error it reported with -1.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(super) fn os_result(returned: isize) -> io::Result<usize> {
    usize::try_from(returned).map_err(|_| io::Error::last_os_error())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interrupted_calls_are_retried_and_would_block_means_nothing_now() {
        let mut calls = 0;
        let result = nonblocking(|| {
            calls += 1;
            match calls {
                1 | 2 => Err(io::Error::from(io::ErrorKind::Interrupted)),
                _ => Ok(7),
            }
        });
        assert_eq!(result.unwrap(), Some(7));
        assert_eq!(calls, 3);
        let nothing = nonblocking::<()>(|| Err(io::ErrorKind::WouldBlock.into()));
        assert_eq!(nothing.unwrap(), None);
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn a_send_refused_for_an_earlier_datagram_is_tried_once_more() {
        let mut calls = 0;
        let result = past_refusal(|| {
            calls += 1;
            if calls == 1 { Err(io::ErrorKind::ConnectionRefused.into()) } else { Ok(1) }
        });
        assert_eq!((result.unwrap(), calls), (1, 2));
        let mut calls = 0;
        let result = past_refusal::<()>(|| {
            calls += 1;
            Err(io::ErrorKind::ConnectionRefused.into())
        });
        assert_eq!((result.unwrap_err().kind(), calls), (io::ErrorKind::ConnectionRefused, 2));
    }

    #[test]
    fn other_errors_are_returned_at_once() {
        let mut calls = 0;
        let result = nonblocking::<()>(|| {
            calls += 1;
            Err(io::ErrorKind::ConnectionRefused.into())
        });
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::ConnectionRefused);
        assert_eq!(calls, 1);
    }
}
