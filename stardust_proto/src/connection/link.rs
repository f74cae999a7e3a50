//! How an established connection's packets travel: in the clear (insecure), or sealed.

use super::handshake::LinkSetup;
use crate::crypto::reset::is_reset;
use crate::crypto::{OpenError, Opened, Opener, Sealer};

/// An established connection's packet path.
#[derive(Debug)]
pub(crate) enum Link {
    /// Insecure: the session's packets go out and come in as they are.
    Plain,
    /// Secure: every packet sealed; see [`SealedLink`].
    Sealed(Box<SealedLink>),
}

impl Link {
    /// The path the handshake settled on.
    pub(crate) fn new(setup: &LinkSetup) -> Link {
        match setup {
            LinkSetup::Insecure { .. } => Link::Plain,
            LinkSetup::Sealed { cid, keys, reset } => Link::Sealed(Box::new(SealedLink {
                sealer: Sealer::new(&keys.send, *cid),
                opener: Opener::new(&keys.recv, *cid),
                reset: *reset,
                confirmed: false,
            })),
        }
    }
}

/// The keys and numbering of a secure connection, and whether the peer proved it has them.
#[derive(Debug)]
pub(crate) struct SealedLink {
    pub(crate) sealer: Sealer,
    opener: Opener,
    /// The listener's reset token for this connection (connecting side only).
    reset: Option<[u8; 16]>,
    /// Whether a packet from the peer authenticated: it holds the keys (and, for the listener,
    /// it receives at its address).
    pub(crate) confirmed: bool,
}

impl SealedLink {
    /// Opens `datagram` where it lies; the range of it that holds the plaintext packet.
    pub(crate) fn open(
        &mut self,
        datagram: &mut [u8],
    ) -> Result<(Opened, core::ops::Range<usize>), OpenError> {
        self.opener.open_in_place(datagram)
    }

    /// Seals the plaintext packet in `packet` where it lies; `false` (nothing to send) if its
    /// number is not the sealer's next.
    pub(crate) fn seal(&mut self, packet: &mut Vec<u8>) -> bool {
        let sealed = self.sealer.seal_in_place(packet);
        if !sealed {
            packet.clear();
        }
        sealed
    }

    /// Whether `datagram` is the listener's stateless reset of this connection.
    pub(crate) fn is_reset(&self, datagram: &[u8]) -> bool {
        let cid = self.sealer.cid();
        self.reset.as_ref().is_some_and(|token| is_reset(datagram, cid, token))
    }
}
