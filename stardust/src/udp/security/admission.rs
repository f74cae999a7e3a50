//! Who may connect: the listener's accept policy, and the gate that applies it to each
//! request whose handshake authenticated.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use stardust_proto::ReasonCode;
use stardust_proto::crypto::{PublicKey, Ticket, TicketVerifier};

/// What a listener's accept policy sees of a connection attempt.
#[derive(Debug, Clone, Copy)]
pub struct ConnectAttempt<'a> {
    /// Where the request came from (proven: it echoed a cookie, or the policy let it skip).
    pub addr: SocketAddr,
    /// The client's static key, authenticated by the handshake; `None` for an anonymous
    /// client (and every insecure one).
    pub client_key: Option<PublicKey>,
    /// The application payload of the handshake (e.g. a backend ticket), sent encrypted; empty
    /// when none (and for every insecure client).
    pub payload: &'a [u8],
}

/// What an accept policy decides.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Let it in.
    Accept,
    /// Refuse it: the client gets `code` and `data` (authenticated by the listener's key), and
    /// its peer entity ends `Disconnected(Rejected)` with them. Use
    /// [`ReasonCode::UNAUTHORIZED`] or an application code (`0x8000..`).
    Reject {
        /// Why.
        code: ReasonCode,
        /// Detail for the client (`null` when none); dropped to `null` if it would make the
        /// reply larger than the request.
        data: Value,
    },
}

/// A hook deciding on each attempt; see [`AcceptPolicy::Custom`].
pub type AcceptHook = Arc<dyn Fn(&ConnectAttempt<'_>) -> Verdict + Send + Sync>;

/// Who may connect to a listening App. Checked in the accept pass, after the handshake
/// authenticated the client's key (if any) and before the peer entity exists.
#[derive(Clone, Default)]
pub enum AcceptPolicy {
    /// Anyone who completes the handshake. The default.
    #[default]
    Anyone,
    /// Only clients presenting one of these static keys (anonymous clients are refused).
    Allowlist(HashSet<PublicKey>),
    /// Only clients presenting a ticket signed by this backend key (see
    /// [`TicketSigner`](stardust_proto::crypto::TicketSigner)), issued for this listener's
    /// key, not expired, not used before. The ticket's data is put on the peer entity as
    /// [`UdpTicket`](crate::udp::UdpTicket).
    Tickets {
        /// The backend's verifying key.
        backend: PublicKey,
    },
    /// The game decides. Runs on the system's thread in the accept pass: keep it quick.
    Custom(AcceptHook),
}

impl core::fmt::Debug for AcceptPolicy {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AcceptPolicy::Anyone => f.write_str("Anyone"),
            AcceptPolicy::Allowlist(keys) => write!(f, "Allowlist({} keys)", keys.len()),
            AcceptPolicy::Tickets { backend } => write!(f, "Tickets {{ backend: {backend} }}"),
            AcceptPolicy::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// An accept policy in force: a ticket policy keeps the tickets it admitted.
#[derive(Debug)]
pub(crate) enum Gate {
    Anyone,
    Allowlist(HashSet<PublicKey>),
    Tickets(Box<TicketVerifier>),
    Custom(HookDebug),
}

/// A hook, printable.
pub(crate) struct HookDebug(AcceptHook);

impl core::fmt::Debug for HookDebug {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Custom(..)")
    }
}

/// What the gate made of an attempt.
#[derive(Debug)]
pub(crate) enum Admission {
    /// In; with the ticket it presented, if the policy checks tickets.
    Admit(Option<Ticket>),
    /// Out, with this code and data for the client.
    Refuse(ReasonCode, Value),
}

impl Gate {
    /// The gate of `policy` for a listener whose key is `listener` (`None` when insecure: a
    /// key or ticket policy then refuses everyone).
    pub(crate) fn new(policy: &AcceptPolicy, listener: Option<PublicKey>) -> Gate {
        match policy {
            AcceptPolicy::Anyone => Gate::Anyone,
            AcceptPolicy::Allowlist(keys) => Gate::Allowlist(keys.clone()),
            AcceptPolicy::Tickets { backend } => {
                match listener.and_then(|listener| TicketVerifier::new(*backend, listener).ok()) {
                    Some(verifier) => Gate::Tickets(Box::new(verifier)),
                    None => Gate::Allowlist(HashSet::new()),
                }
            }
            AcceptPolicy::Custom(hook) => Gate::Custom(HookDebug(hook.clone())),
        }
    }

    /// Decides on `attempt`.
    pub(crate) fn admit(&mut self, attempt: &ConnectAttempt<'_>) -> Admission {
        let refuse =
            |why: &str| Admission::Refuse(ReasonCode::UNAUTHORIZED, json!({ "reason": why }));
        match self {
            Gate::Anyone => Admission::Admit(None),
            Gate::Allowlist(keys) => match attempt.client_key {
                Some(key) if keys.contains(&key) => Admission::Admit(None),
                Some(_) => refuse("this client's key is not on the listener's allowlist"),
                None => refuse("the listener admits known keys only; connect with an identity"),
            },
            Gate::Tickets(verifier) => {
                let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
                match verifier.admit(attempt.payload, now) {
                    Ok(ticket) => Admission::Admit(Some(ticket)),
                    Err(error) => refuse(&error.to_string()),
                }
            }
            Gate::Custom(hook) => match (hook.0)(attempt) {
                Verdict::Accept => Admission::Admit(None),
                Verdict::Reject { code, data } => Admission::Refuse(code, data),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use stardust_proto::crypto::{SeededEntropy, StaticKeypair, TicketSigner};

    use super::*;

    fn attempt(key: Option<PublicKey>, payload: &[u8]) -> ConnectAttempt<'_> {
        ConnectAttempt { addr: "127.0.0.1:1".parse().unwrap(), client_key: key, payload }
    }

    #[test]
    fn an_allowlist_admits_its_keys_only() {
        let mut entropy = SeededEntropy::from_u64(1);
        let (alice, mallory) =
            (StaticKeypair::generate(&mut entropy), StaticKeypair::generate(&mut entropy));
        let policy = AcceptPolicy::Allowlist([alice.public()].into());
        let mut gate = Gate::new(&policy, None);
        assert!(matches!(gate.admit(&attempt(Some(alice.public()), b"")), Admission::Admit(None)));
        assert!(matches!(
            gate.admit(&attempt(Some(mallory.public()), b"")),
            Admission::Refuse(ReasonCode::UNAUTHORIZED, _)
        ));
        assert!(matches!(
            gate.admit(&attempt(None, b"")),
            Admission::Refuse(ReasonCode::UNAUTHORIZED, _)
        ));
    }

    #[test]
    fn a_ticket_gate_admits_a_fresh_ticket_once() {
        let mut entropy = SeededEntropy::from_u64(2);
        let backend = TicketSigner::generate(&mut entropy);
        let listener = StaticKeypair::generate(&mut entropy).public();
        let mut gate =
            Gate::new(&AcceptPolicy::Tickets { backend: backend.verifying_key() }, Some(listener));
        let expires = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() + 60;
        let ticket = backend.mint(listener, expires, [1; 16], b"player 7");
        let Admission::Admit(Some(admitted)) = gate.admit(&attempt(None, &ticket)) else {
            panic!()
        };
        assert_eq!(admitted.data, b"player 7");
        let Admission::Refuse(code, data) = gate.admit(&attempt(None, &ticket)) else { panic!() };
        assert_eq!(code, ReasonCode::UNAUTHORIZED);
        assert!(data["reason"].as_str().unwrap().contains("already used"), "{data}");
    }

    #[test]
    fn a_custom_hook_decides() {
        let hook: AcceptHook = Arc::new(|attempt| {
            if attempt.payload == b"let me in" {
                Verdict::Accept
            } else {
                Verdict::Reject { code: ReasonCode::application(1).unwrap(), data: Value::Null }
            }
        });
        let mut gate = Gate::new(&AcceptPolicy::Custom(hook), None);
        assert!(matches!(gate.admit(&attempt(None, b"let me in")), Admission::Admit(None)));
        assert!(
            matches!(gate.admit(&attempt(None, b"no")), Admission::Refuse(code, _) if code.0 == 0x8001)
        );
    }
}
