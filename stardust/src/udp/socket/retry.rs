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
