//! Who the peers are and who may connect: the App's [`Identity`], the listener's
//! [`AcceptPolicy`], and whether connections are secure at all ([`UdpSecurity`]).

mod admission;
mod identity;

pub use admission::{AcceptHook, AcceptPolicy, ConnectAttempt, Verdict};
pub(crate) use admission::{Admission, Gate};
pub(crate) use identity::os_entropy;
pub use identity::{Identity, IdentityError};

/// Whether the transport's connections are encrypted and authenticated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UdpSecurity {
    /// Noise `IK` handshake with a stateless cookie first, then every packet sealed with
    /// ChaCha20-Poly1305. A listener refuses insecure clients (reason `security mismatch`).
    /// The default.
    #[default]
    Secure,
    /// No encryption, no authentication, no address validation: anyone on the path reads every
    /// message, and a spoofer can forge, kill or lock out connections. Only for LAN tools and
    /// debugging; logged as a warning when the transport starts. A listener refuses secure
    /// clients, and a secure listener refuses this App.
    Insecure,
}
