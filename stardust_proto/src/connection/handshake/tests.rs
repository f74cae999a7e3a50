//! The connecting side's handshake alone: resends, deadlines, stale and forged replies,
//! retries and what a secure attempt takes in the clear.

use super::*;
use crate::connection::params::SecureClient;
use crate::crypto::{SeededEntropy, StaticKeypair};

fn params(security: ClientSecurity) -> ConnectParams {
    ConnectParams { transport_id: 1, transport_version: 2, protocol_hash: 3, security }
}

/// An attempt with the default timing, its first request due at `now`.
fn attempt(
    security: ClientSecurity,
    entropy: &mut SeededEntropy,
    now: Instant,
) -> ConnectHandshake {
    ConnectHandshake::new(HandshakeConfig::default(), params(security), entropy, now)
}

#[test]
fn resends_back_off_exponentially_up_to_the_cap() {
    let start = Instant::now();
    let mut entropy = SeededEntropy::from_u64(1);
    let mut hs = attempt(ClientSecurity::Insecure, &mut entropy, start);
    let mut buf = Vec::new();
    let mut sent_at = Vec::new();
    let mut now = start;
    while now < start + Duration::from_secs(5) {
        if hs.poll_transmit(now, &mut buf) {
            sent_at.push((now - start).as_millis());
        }
        now = hs.poll_timeout();
    }
    assert_eq!(sent_at, [0, 250, 750, 1750, 2750, 3750, 4750]);
}

#[test]
fn stops_sending_at_the_deadline() {
    let start = Instant::now();
    let config = HandshakeConfig { timeout: Duration::from_secs(1), ..Default::default() };
    let mut entropy = SeededEntropy::from_u64(2);
    let mut hs =
        ConnectHandshake::new(config, params(ClientSecurity::Insecure), &mut entropy, start);
    let mut buf = Vec::new();
    assert!(hs.poll_transmit(start, &mut buf));
    assert!(hs.is_timed_out(start + Duration::from_secs(1)));
    assert!(!hs.poll_transmit(start + Duration::from_secs(1), &mut buf));
}

#[test]
fn replies_to_other_attempts_are_stale() {
    let now = Instant::now();
    let mut entropy = SeededEntropy::from_u64(3);
    let mut hs = attempt(ClientSecurity::Insecure, &mut entropy, now);
    let id = hs.request().id;
    let RequestMode::Insecure { seq } = hs.request().mode else { panic!("insecure") };
    let stale = Accepted { id: id ^ 1, body: AcceptedBody::Insecure { seq: 1, port: 2 } };
    assert_eq!(hs.handle(now, ZeroMessage::Accepted(stale)), Err(ZeroDropReason::StaleReply));
    let current = Accepted { id, body: AcceptedBody::Insecure { seq: 1, port: 2 } };
    let link = LinkSetup::Insecure { local_seq: seq, remote_seq: 1 };
    assert_eq!(
        hs.handle(now, ZeroMessage::Accepted(current)),
        Ok(HandshakeOutcome::Accepted {
            port: 2,
            link,
            listener_key: None,
            resend: HandshakeConfig::default().initial_rto
        })
    );
}

#[test]
fn a_retry_with_another_key_than_the_pinned_one_is_a_mismatch() {
    let now = Instant::now();
    let mut entropy = SeededEntropy::from_u64(4);
    let pinned = StaticKeypair::generate(&mut entropy).public();
    let client = SecureClient { listener_key: Some(pinned), ..SecureClient::default() };
    let mut hs = attempt(ClientSecurity::Secure(client), &mut entropy, now);
    let RequestMode::Secure { noise, .. } = &hs.request().mode else { panic!("secure") };
    assert!(noise.is_some(), "a pinned client sends its Noise message at once");
    let retry = Retry { id: hs.request().id, cookie: vec![1; 16], key: [9; 32] };
    assert_eq!(
        hs.handle(now, ZeroMessage::Retry(retry)),
        Ok(HandshakeOutcome::KeyMismatch { pinned, presented: PublicKey([9; 32]) })
    );
}

#[test]
fn an_unpinned_client_learns_the_key_and_cookie_from_a_retry_and_asks_again_at_once() {
    let start = Instant::now();
    let mut entropy = SeededEntropy::from_u64(5);
    let mut hs = attempt(ClientSecurity::Secure(SecureClient::default()), &mut entropy, start);
    let mut buf = Vec::new();
    assert!(hs.poll_transmit(start, &mut buf));
    let RequestMode::Secure { noise, .. } = &hs.request().mode else { panic!("secure") };
    assert!(noise.is_none(), "without a key, the first request only asks");
    let key = StaticKeypair::generate(&mut entropy).public();
    let retry = Retry { id: hs.request().id, cookie: vec![1; 16], key: key.0 };
    let later = start + Duration::from_millis(10);
    assert_eq!(hs.handle(later, ZeroMessage::Retry(retry.clone())), Ok(HandshakeOutcome::Retried));
    assert!(hs.poll_transmit(later, &mut buf), "sent again at once");
    assert_eq!(
        hs.poll_timeout(),
        later + MIN_RETRY_RTO,
        "its resends start over from twice the measured round trip (10 ms), at least 50 ms"
    );
    let RequestMode::Secure { noise, cookie } = &hs.request().mode else { panic!("secure") };
    assert!(noise.is_some() && cookie.as_deref() == Some(&[1; 16][..]));
    // The same retry again does not hurry the schedule.
    assert_eq!(hs.handle(later, ZeroMessage::Retry(retry)), Ok(HandshakeOutcome::Retried));
    assert!(!hs.poll_transmit(later, &mut buf));
}

#[test]
fn after_a_retry_the_request_is_resent_after_twice_the_measured_round_trip() {
    for (round_trip_ms, first_resend_ms) in [(100, 200), (200, 250), (10, 50)] {
        let start = Instant::now();
        let mut entropy = SeededEntropy::from_u64(6);
        let listener = StaticKeypair::generate(&mut entropy).public();
        let client = SecureClient { listener_key: Some(listener), ..SecureClient::default() };
        let mut hs = attempt(ClientSecurity::Secure(client), &mut entropy, start);
        let mut buf = Vec::new();
        assert!(hs.poll_transmit(start, &mut buf));
        let at = start + Duration::from_millis(round_trip_ms);
        let retry = Retry { id: hs.request().id, cookie: vec![1; 16], key: listener.0 };
        assert_eq!(hs.handle(at, ZeroMessage::Retry(retry)), Ok(HandshakeOutcome::Retried));
        assert!(hs.poll_transmit(at, &mut buf));
        assert_eq!(
            hs.poll_timeout(),
            at + Duration::from_millis(first_resend_ms),
            "round trip {round_trip_ms} ms"
        );
        // Then doubling, but no further than twice the first wait (at least 250 ms): the
        // path answers, in about this long.
        let cap = Duration::from_millis((first_resend_ms * 2).max(250));
        let mut due = hs.poll_timeout();
        let mut waits = Vec::new();
        for _ in 0..4 {
            assert!(hs.poll_transmit(due, &mut buf));
            waits.push(hs.poll_timeout() - due);
            due = hs.poll_timeout();
        }
        let first = Duration::from_millis(first_resend_ms);
        let expected: Vec<Duration> = (1..=4).map(|i| (first * 2u32.pow(i)).min(cap)).collect();
        assert_eq!(waits, expected, "round trip {round_trip_ms} ms");
    }
}

#[test]
fn a_secure_attempt_takes_in_the_clear_only_the_refusals_a_listener_cannot_seal() {
    let now = Instant::now();
    let mut entropy = SeededEntropy::from_u64(7);
    let mut hs = attempt(ClientSecurity::Secure(SecureClient::default()), &mut entropy, now);
    let id = hs.request().id;
    let plain = |code| {
        let body = RejectedBody::Plain { code, data: Value::Null };
        ZeroMessage::Rejected(Rejected { id: Some(id), ack: None, body })
    };
    for forgeable in [ReasonCode::FULL, ReasonCode::NOT_ACCEPTING, ReasonCode::MALFORMED] {
        assert_eq!(hs.handle(now, plain(forgeable)), Err(ZeroDropReason::Unauthenticated));
    }
    assert_eq!(
        hs.handle(now, plain(ReasonCode::SECURITY_MISMATCH)),
        Ok(HandshakeOutcome::Rejected { code: ReasonCode::SECURITY_MISMATCH, data: Value::Null })
    );
}
