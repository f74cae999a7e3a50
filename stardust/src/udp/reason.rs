//! Translation between the engine's wire reasons ([`ReasonCode`] + JSON data) and the
//! runtime's transport-agnostic [`DisconnectReason`].

use serde_json::Value;
use stardust_proto::{CloseReason, DropReason, ReasonCode};

use crate::peer::{DisconnectInitiator, DisconnectReason};

/// The reason a peer gets when a listener refused its connection request.
///
/// A protocol hash mismatch becomes [`DisconnectReason::ProtocolMismatch`] (with the
/// listener's hash, when its detail carries one); any other code becomes
/// [`DisconnectReason::Rejected`] with the detail as JSON bytes (empty for `null`).
pub(crate) fn rejection(code: ReasonCode, data: &Value, local_hash: u64) -> DisconnectReason {
    if code == ReasonCode::PROTOCOL_HASH_MISMATCH {
        let remote = data.get("hash").and_then(Value::as_u64).unwrap_or(0);
        return DisconnectReason::ProtocolMismatch { local: local_hash, remote };
    }
    DisconnectReason::Rejected { code: code.0, data: json_bytes(data) }
}

/// The reason a peer gets when its connection ended.
///
/// `closing` is the reason the game gave for a local close, which wins for
/// [`CloseReason::Local`] so both the game and the remote side see the same words.
pub(crate) fn closed(reason: &CloseReason, closing: Option<&DisconnectReason>) -> DisconnectReason {
    match reason {
        CloseReason::Local { code, data } => match closing {
            Some(reason) => reason.clone(),
            None => from_close_code(DisconnectInitiator::Local, *code, data),
        },
        CloseReason::Remote { code, data } => {
            from_close_code(DisconnectInitiator::Remote, *code, data)
        }
        CloseReason::TimedOut | CloseReason::HandshakeTimedOut => DisconnectReason::TimedOut,
        CloseReason::Reset => DisconnectReason::Reset,
        CloseReason::NobodyListening => DisconnectReason::NobodyListening,
        CloseReason::KeyMismatch { pinned, presented } => {
            DisconnectReason::NotAuthenticated(format!(
                "the listener presented the key {presented}, not the pinned {pinned}: a man in \
                 the middle, or the wrong key pinned"
            ))
        }
        other => DisconnectReason::ProtocolViolation(format!("connection ended: {other:?}")),
    }
}

/// The code and data a local close sends for `reason`.
pub(crate) fn close_code(reason: &DisconnectReason) -> (ReasonCode, Value) {
    match reason {
        DisconnectReason::Requested { message, .. } => {
            (ReasonCode::CLOSED, Value::String(message.clone()))
        }
        DisconnectReason::ProtocolViolation(what) => {
            (ReasonCode::PROTOCOL_VIOLATION, Value::String(what.clone()))
        }
        DisconnectReason::TransportClosed => (ReasonCode::SHUTTING_DOWN, Value::Null),
        other => (ReasonCode::CLOSED, Value::String(other.to_string())),
    }
}

/// Drop reasons that a correct peer never causes: two peers with the same protocol hash
/// agree on every channel and size, so these mean a broken or hostile sender. (Duplicates,
/// stale packets and full buffers happen on healthy networks and are not counted.)
const VIOLATIONS: [DropReason; 6] = [
    DropReason::Truncated,
    DropReason::UnknownType,
    DropReason::Malformed,
    DropReason::UnknownChannel,
    DropReason::MessageTooLarge,
    DropReason::BadFragment,
];

/// The protocol violation to disconnect a peer for, once the datagrams it sent that break
/// the protocol reach `limit`: names the most frequent kind. `None` below the limit.
/// `count` gives the number of drops for a reason. Allocates only when it disconnects.
pub(crate) fn violation(count: impl Fn(DropReason) -> u64, limit: u64) -> Option<DisconnectReason> {
    let total: u64 = VIOLATIONS.iter().map(|&reason| count(reason)).sum();
    if total < limit.max(1) {
        return None;
    }
    let worst = VIOLATIONS.iter().copied().max_by_key(|&reason| count(reason))?;
    Some(DisconnectReason::ProtocolViolation(format!(
        "{total} invalid packets received (mostly {worst:?}); check that both sides run the same build"
    )))
}

fn from_close_code(by: DisconnectInitiator, code: ReasonCode, data: &Value) -> DisconnectReason {
    match code {
        ReasonCode::CLOSED => DisconnectReason::Requested { by, message: text(data) },
        ReasonCode::PROTOCOL_VIOLATION => DisconnectReason::ProtocolViolation(text(data)),
        ReasonCode::SHUTTING_DOWN => DisconnectReason::TransportClosed,
        other => DisconnectReason::Requested { by, message: format!("{other}: {}", text(data)) },
    }
}

/// A close message as text: a JSON string as it is, `null` as empty, anything else as JSON.
fn text(data: &Value) -> String {
    match data {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn json_bytes(data: &Value) -> Vec<u8> {
    match data {
        Value::Null => Vec::new(),
        other => other.to_string().into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn violations_disconnect_only_at_the_limit_and_ignore_network_noise() {
        fn counts(pairs: &[(DropReason, u64)]) -> impl Fn(DropReason) -> u64 + '_ {
            |reason| pairs.iter().filter(|(r, _)| *r == reason).map(|(_, n)| n).sum()
        }
        let noise = [(DropReason::DuplicatePacket, 500), (DropReason::StalePacket, 500)];
        assert_eq!(violation(counts(&noise), 10), None);
        let bad = [(DropReason::Malformed, 6), (DropReason::UnknownType, 3)];
        assert_eq!(violation(counts(&bad), 10), None);
        let bad = [(DropReason::Malformed, 7), (DropReason::UnknownType, 3)];
        let Some(DisconnectReason::ProtocolViolation(text)) = violation(counts(&bad), 10) else {
            panic!("10 invalid packets reach a limit of 10");
        };
        assert!(text.starts_with("10 invalid packets") && text.contains("Malformed"), "{text}");
    }

    #[test]
    fn hash_mismatch_rejection_carries_both_hashes() {
        let reason = rejection(ReasonCode::PROTOCOL_HASH_MISMATCH, &json!({ "hash": 7 }), 9);
        assert_eq!(reason, DisconnectReason::ProtocolMismatch { local: 9, remote: 7 });
    }

    #[test]
    fn other_rejections_keep_code_and_detail() {
        let reason = rejection(ReasonCode::FULL, &json!({ "max_peers": 2 }), 9);
        let expected = br#"{"max_peers":2}"#.to_vec();
        assert_eq!(reason, DisconnectReason::Rejected { code: 5, data: expected });
        let reason = rejection(ReasonCode(0x8001), &Value::Null, 9);
        assert_eq!(reason, DisconnectReason::Rejected { code: 0x8001, data: Vec::new() });
    }

    #[test]
    fn local_close_keeps_the_games_reason() {
        let game =
            DisconnectReason::Requested { by: DisconnectInitiator::Local, message: "bye".into() };
        let (code, data) = close_code(&game);
        let ended = closed(&CloseReason::Local { code, data }, Some(&game));
        assert_eq!(ended, game);
    }

    #[test]
    fn remote_close_message_round_trips() {
        let game =
            DisconnectReason::Requested { by: DisconnectInitiator::Local, message: "bye".into() };
        let (code, data) = close_code(&game);
        let remote = closed(&CloseReason::Remote { code, data }, None);
        let expected =
            DisconnectReason::Requested { by: DisconnectInitiator::Remote, message: "bye".into() };
        assert_eq!(remote, expected);
    }

    #[test]
    fn shutdown_and_violation_map_to_their_reasons() {
        let (code, data) = close_code(&DisconnectReason::TransportClosed);
        assert_eq!(
            closed(&CloseReason::Remote { code, data }, None),
            DisconnectReason::TransportClosed
        );
        let violation = DisconnectReason::ProtocolViolation("bad ack".into());
        let (code, data) = close_code(&violation);
        assert_eq!(closed(&CloseReason::Remote { code, data }, None), violation);
        assert_eq!(closed(&CloseReason::HandshakeTimedOut, None), DisconnectReason::TimedOut);
        assert_eq!(closed(&CloseReason::TimedOut, None), DisconnectReason::TimedOut);
        let nobody = closed(&CloseReason::NobodyListening, None);
        assert_eq!(nobody, DisconnectReason::NobodyListening);
        assert!(nobody.to_string().starts_with("nobody is listening"), "{nobody}");
    }
}
