//! Why a connection attempt was refused or a connection ended: the codes on the wire.

use core::fmt;

/// A 16-bit reason carried by a `rejected` or `close` zero message.
///
/// Codes `0x0000..=0x7FFF` are reserved for Stardust (the named constants below; unknown
/// ones received from a newer peer are kept as they are, never an error). Codes
/// `0x8000..=0xFFFF` belong to the application, which gives them meaning through the
/// message's free-form JSON `data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReasonCode(pub u16);

impl ReasonCode {
    /// `0`: the application closed the connection normally.
    pub const CLOSED: ReasonCode = ReasonCode(0);
    /// `1`: the connection request could not be read (bad JSON, wrong field types, too small).
    pub const MALFORMED: ReasonCode = ReasonCode(1);
    /// `2`: the request names a transport identifier the listener does not speak.
    pub const UNKNOWN_TRANSPORT: ReasonCode = ReasonCode(2);
    /// `3`: the transport is known but the request's transport version is not the listener's.
    pub const INCOMPATIBLE_VERSION: ReasonCode = ReasonCode(3);
    /// `4`: the peers registered different channels or protocol values (the protocol hashes differ).
    pub const PROTOCOL_HASH_MISMATCH: ReasonCode = ReasonCode(4);
    /// `5`: the listener already has as many peers as it allows.
    pub const FULL: ReasonCode = ReasonCode(5);
    /// `6`: the listener is not accepting new connections right now.
    pub const NOT_ACCEPTING: ReasonCode = ReasonCode(6);
    /// `7`: the sender is shutting down.
    pub const SHUTTING_DOWN: ReasonCode = ReasonCode(7);
    /// `8`: the peer broke the protocol and was disconnected.
    pub const PROTOCOL_VIOLATION: ReasonCode = ReasonCode(8);
    /// `9`: one side is secure and the other insecure; the data says which the listener is.
    pub const SECURITY_MISMATCH: ReasonCode = ReasonCode(9);
    /// `10`: the listener's accept policy refused this client (its key is not allowed, its
    /// ticket is invalid…); the data says why.
    pub const UNAUTHORIZED: ReasonCode = ReasonCode(10);
    /// The first code the application may use; see [`ReasonCode::application`].
    pub const APPLICATION_START: u16 = 0x8000;

    /// The application code `APPLICATION_START + offset`, or `None` if that overflows 16 bits.
    pub const fn application(offset: u16) -> Option<ReasonCode> {
        match Self::APPLICATION_START.checked_add(offset) {
            Some(code) => Some(ReasonCode(code)),
            None => None,
        }
    }

    /// Whether the code belongs to the application (`0x8000..=0xFFFF`).
    pub const fn is_application(self) -> bool {
        self.0 >= Self::APPLICATION_START
    }

    /// The lower-case name of a code Stardust defines, or `None` for application and unknown codes.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "closed",
            1 => "malformed",
            2 => "unknown transport",
            3 => "incompatible version",
            4 => "protocol hash mismatch",
            5 => "full",
            6 => "not accepting",
            7 => "shutting down",
            8 => "protocol violation",
            9 => "security mismatch",
            10 => "unauthorized",
            _ => return None,
        })
    }
}

impl fmt::Display for ReasonCode {
    /// The name and the number, e.g. `protocol hash mismatch (4)`, `application (32769)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({})", self.0),
            None if self.is_application() => write!(f, "application ({})", self.0),
            None => write!(f, "unknown ({})", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_display_with_name_and_number() {
        assert_eq!(ReasonCode::PROTOCOL_HASH_MISMATCH.to_string(), "protocol hash mismatch (4)");
        assert_eq!(ReasonCode::application(1).unwrap().to_string(), "application (32769)");
        assert_eq!(ReasonCode(0x1234).to_string(), "unknown (4660)");
        assert!(ReasonCode::application(0x8000).is_none());
        assert!(!ReasonCode::FULL.is_application());
    }
}
