//! Copies of a request (resends, network duplicates, a copy replayed from another address that
//! proved itself) produce one peer and the same reply, which only the client can read, so a
//! replay that arrives first cannot keep the client out; a copy with a changed id does not
//! read; a new insecure attempt from the same address is reported as replacing the old peer.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::conn_pair::{
    Pair, channels, endpoint, endpoint_config, exchange, insecure_params, secure_params,
};
use crate::netsim::{LinkConfig, NetSim};
use stardust_proto::crypto::SeededEntropy;
use stardust_proto::zero::{Accepted, RequestMode, ZeroMessage};
use stardust_proto::{Connection, ConnectionConfig, Handled, ZeroDropReason};

/// A secure client (pinned, with an identity) starting to connect at `now`.
fn secure_client(entropy: &mut SeededEntropy, now: Instant) -> Connection {
    Connection::connect(ConnectionConfig::default(), channels(), secure_params(), entropy, now)
}

#[test]
fn every_copy_of_a_secure_request_gets_the_same_accept() {
    let now = Instant::now();
    let mut listener = endpoint(endpoint_config(), false, now);
    let from = SocketAddr::from(([127, 0, 0, 1], 5555));
    let mut entropy = SeededEntropy::from_u64(1);
    let mut client = secure_client(&mut entropy, now);
    let request = exchange(&mut listener, &mut client, now, from).expect("a request");
    assert!(!request.replaces_existing(), "secure peers are told apart by connection id");
    // The copy the client sent: its last request, with the cookie.
    let mut datagram = Vec::new();
    let later = now + Duration::from_secs(1);
    assert!(client.poll_transmit(later, &mut datagram), "a resend is due after the backoff");
    let mut reply = Vec::new();
    let peer = listener.accept(now, request, 40001, &mut reply);
    assert_eq!(peer.port, 40001);
    let record = peer.record;
    let accept = reply.clone();
    assert!(matches!(ZeroMessage::decode(&accept), Ok(ZeroMessage::Accepted(Accepted { .. }))));

    for _ in 0..5 {
        assert!(matches!(listener.handle(now, from, &datagram, &mut reply), Handled::Reply));
        assert_eq!(reply, accept);
    }
    assert_eq!(listener.peer_count(), 1);
    assert_eq!(listener.stats().duplicates, 5);
    assert_eq!(listener.stats().accepted, 1);
    assert_eq!(listener.stats().handshakes, 1, "copies cost no Diffie-Hellman");

    // The same request from another address: its cookie is for the first address, so it
    // only gets a retry; with a cookie of its own, the same accept, and still one peer.
    let elsewhere = SocketAddr::from(([127, 0, 0, 1], 5556));
    assert!(matches!(listener.handle(now, elsewhere, &datagram, &mut reply), Handled::Reply));
    let Ok(ZeroMessage::Retry(retry)) = ZeroMessage::decode(&reply) else { panic!("a retry") };
    let Ok(ZeroMessage::Request(mut replayed)) = ZeroMessage::decode(&datagram) else { panic!() };
    let RequestMode::Secure { cookie, .. } = &mut replayed.mode else { panic!("secure") };
    *cookie = Some(retry.cookie);
    ZeroMessage::Request(replayed).encode(&mut datagram);
    let handled = listener.handle(now, elsewhere, &datagram, &mut reply);
    assert!(matches!(handled, Handled::Reply), "{handled:?}");
    assert_eq!(reply, accept);
    assert_eq!(listener.peer_count(), 1);
    assert_eq!(listener.stats().handshakes, 1);

    // Once the peer proved itself, the kept reply is freed: a late copy is a stale duplicate.
    listener.proven(record);
    let handled = listener.handle(now, elsewhere, &datagram, &mut reply);
    assert!(matches!(handled, Handled::Dropped(ZeroDropReason::Duplicate)), "{handled:?}");
    assert_eq!(listener.stats().handshakes, 1, "and it is not read again");
}

/// The client's request as an attacker on the path would replay it: with a cookie of the
/// attacker's own address.
fn with_cookie_for(
    listener: &mut stardust_proto::Endpoint,
    now: Instant,
    at: SocketAddr,
    request: &[u8],
) -> Vec<u8> {
    let mut reply = Vec::new();
    assert!(matches!(listener.handle(now, at, request, &mut reply), Handled::Reply));
    let Ok(ZeroMessage::Retry(retry)) = ZeroMessage::decode(&reply) else { panic!("a retry") };
    let Ok(ZeroMessage::Request(mut copy)) = ZeroMessage::decode(request) else { panic!() };
    let RequestMode::Secure { cookie, .. } = &mut copy.mode else { panic!("secure") };
    *cookie = Some(retry.cookie);
    let mut datagram = Vec::new();
    ZeroMessage::Request(copy).encode(&mut datagram);
    datagram
}

#[test]
fn a_request_replayed_first_from_elsewhere_does_not_keep_the_client_out() {
    let now = Instant::now();
    let mut listener = endpoint(endpoint_config(), false, now);
    let from = SocketAddr::from(([127, 0, 0, 1], 5555));
    let attacker = SocketAddr::from(([127, 0, 0, 1], 6666));
    let mut entropy = SeededEntropy::from_u64(3);
    let mut client = secure_client(&mut entropy, now);
    // The client's first request, seen on the path, replayed first from the attacker's
    // address with the attacker's cookie: the listener accepts it there.
    let (mut datagram, mut reply) = (Vec::new(), Vec::new());
    assert!(client.poll_transmit(now, &mut datagram));
    let replayed = with_cookie_for(&mut listener, now, attacker, &datagram);
    let Handled::Request(request) = listener.handle(now, attacker, &replayed, &mut reply) else {
        panic!("the replay reads: it is the client's own message")
    };
    let peer = listener.accept(now, request, 40001, &mut reply);
    let mut server = Connection::accepted(ConnectionConfig::default(), channels(), now, peer);

    // The client goes on from its own address (its first request gets a retry, the next
    // carries its cookie) and gets the same accept.
    assert!(matches!(listener.handle(now, from, &datagram, &mut reply), Handled::Reply));
    client.handle_datagram(now, &reply);
    let request = exchange(&mut listener, &mut client, now, from);
    assert!(request.is_none(), "no second request: the copy gets the recorded reply");
    assert!(client.is_connected(), "the client read the accept meant for it");
    assert_eq!(listener.peer_count(), 1);
    // (Its first packet went to the listen port inside `exchange`; the next one is due once
    // the listener's side has not answered for twice the round trip.)
    let later = now + Duration::from_millis(300);
    client.handle_timeout(later);
    assert!(client.poll_transmit(later, &mut datagram));
    server.handle_datagram(later, &datagram);
    assert!(server.is_connected(), "the client's first packet proves the connection");
}

#[test]
fn a_copy_with_another_id_does_not_read() {
    let now = Instant::now();
    let mut listener = endpoint(endpoint_config(), false, now);
    let from = SocketAddr::from(([127, 0, 0, 1], 5555));
    let mut entropy = SeededEntropy::from_u64(4);
    let mut client = secure_client(&mut entropy, now);
    let mut first = Vec::new();
    assert!(client.poll_transmit(now, &mut first));
    let with_cookie = with_cookie_for(&mut listener, now, from, &first);
    let mut datagram = Vec::new();
    let Ok(ZeroMessage::Request(mut changed)) = ZeroMessage::decode(&with_cookie) else { panic!() };
    changed.id ^= 1;
    ZeroMessage::Request(changed).encode(&mut datagram);
    let mut reply = Vec::new();
    let handled = listener.handle(now, from, &datagram, &mut reply);
    assert!(matches!(handled, Handled::Reply), "{handled:?}");
    assert!(
        matches!(ZeroMessage::decode(&reply), Ok(ZeroMessage::Retry(_))),
        "the id is bound into the Noise prologue: the message does not read, only a retry"
    );
    assert_eq!(listener.peer_count(), 0);
    assert_eq!(listener.stats().zero.dropped(ZeroDropReason::Unauthenticated), 1);
    // The genuine request still gets in.
    assert!(matches!(listener.handle(now, from, &first, &mut reply), Handled::Reply));
    client.handle_datagram(now, &reply);
    let request = exchange(&mut listener, &mut client, now, from).expect("the genuine request");
    listener.accept(now, request, 40001, &mut reply);
    client.handle_datagram(now, &reply);
    assert!(client.is_connected());
}

#[test]
fn a_new_insecure_attempt_from_a_known_address_replaces_the_old_peer() {
    let now = Instant::now();
    let mut listener = endpoint(endpoint_config(), true, now);
    let from = SocketAddr::from(([127, 0, 0, 1], 5555));
    let mut reply = Vec::new();
    let mut entropy = SeededEntropy::from_u64(2);
    let mut first = Connection::connect(
        ConnectionConfig::default(),
        channels(),
        insecure_params(),
        &mut entropy,
        now,
    );
    let request = exchange(&mut listener, &mut first, now, from).expect("a request");
    assert!(!request.replaces_existing());
    listener.accept(now, request, 40001, &mut reply);
    let mut again = Connection::connect(
        ConnectionConfig::default(),
        channels(),
        insecure_params(),
        &mut entropy,
        now,
    );
    let request = exchange(&mut listener, &mut again, now, from).expect("a request");
    assert!(request.replaces_existing(), "a new id from a known address is a restarted client");
    listener.accept(now, request, 40002, &mut reply);
    assert_eq!(listener.peer_count(), 1);
}

#[test]
fn a_lossy_duplicating_link_still_yields_one_peer() {
    // Replies are lost often, so the client resends; the link also duplicates half of everything.
    let to_listener = LinkConfig { loss: 0.2, duplicate: 0.5, ..LinkConfig::harsh() };
    let to_client = LinkConfig { loss: 0.7, duplicate: 0.5, ..LinkConfig::harsh() };
    for seed in 0..20 {
        let net = NetSim::new(seed, to_listener, to_client);
        let mut pair = Pair::default_over(net);
        let up = pair
            .run_until(Duration::from_secs(15), |p| p.client_connected() && p.server_connected());
        assert!(up, "seed {seed}");
        // Let every straggling copy of the request arrive.
        pair.run_until(Duration::from_secs(2), |_| false);
        assert_eq!(pair.accepts, 1, "seed {seed}");
        assert_eq!(pair.endpoint.peer_count(), 1);
        let connected = |events: &[stardust_proto::ConnectionEvent]| {
            events
                .iter()
                .filter(|e| matches!(e, stardust_proto::ConnectionEvent::Connected { .. }))
                .count()
        };
        assert_eq!(connected(&pair.client_events), 1, "seed {seed}");
        assert_eq!(connected(&pair.server_events), 1, "seed {seed}");
    }
}

#[test]
fn a_forged_retry_with_another_key_does_not_make_a_second_peer() {
    use stardust_proto::crypto::StaticKeypair;
    use stardust_proto::zero::Retry;
    use stardust_proto::{ClientSecurity, SecureClient};

    let now = Instant::now();
    let mut listener = endpoint(endpoint_config(), false, now);
    let from = SocketAddr::from(([127, 0, 0, 1], 5555));
    let mut entropy = SeededEntropy::from_u64(5);
    let unpinned = stardust_proto::ConnectParams {
        security: ClientSecurity::Secure(SecureClient::default()),
        ..secure_params()
    };
    let mut client =
        Connection::connect(ConnectionConfig::default(), channels(), unpinned, &mut entropy, now);
    // Request, retry (the real key), request with cookie: accepted, and the accept is lost.
    let request = exchange(&mut listener, &mut client, now, from).expect("a request");
    let mut lost = Vec::new();
    listener.accept(now, request, 40001, &mut lost);
    let id = match ZeroMessage::decode(&lost) {
        Ok(ZeroMessage::Accepted(accepted)) => accepted.id,
        other => panic!("{other:?}"),
    };
    // An attacker who saw the request forges a retry with another key: the client starts a
    // handshake for that key, which the listener cannot read and answers with a retry naming
    // its real key again.
    let fake = StaticKeypair::generate(&mut entropy).public();
    let forged = Retry { id, cookie: vec![7; 16], key: fake.0 };
    let mut datagram = Vec::new();
    ZeroMessage::Retry(forged).encode(&mut datagram);
    client.handle_datagram(now, &datagram);
    let request = exchange(&mut listener, &mut client, now, from);
    assert!(request.is_none(), "no second request reaches the accept stage");
    assert!(client.is_connected(), "back on the real key, the client reused its first message");
    assert_eq!(listener.stats().accepted, 1);
    assert_eq!(listener.peer_count(), 1);
}

#[test]
fn a_copy_that_arrives_before_the_request_is_answered_is_not_offered_again() {
    let now = Instant::now();
    let config = stardust_proto::EndpointConfig { max_peers: 2, ..endpoint_config() };
    let mut listener = endpoint(config, false, now);
    let from = SocketAddr::from(([127, 0, 0, 1], 5555));
    let mut entropy = SeededEntropy::from_u64(6);
    let mut client = secure_client(&mut entropy, now);
    let request = exchange(&mut listener, &mut client, now, from).expect("a request");
    // The driver has not answered yet, and the client's resend arrives.
    let later = now + Duration::from_secs(1);
    let mut datagram = Vec::new();
    assert!(client.poll_transmit(later, &mut datagram));
    let mut reply = Vec::new();
    let handled = listener.handle(later, from, &datagram, &mut reply);
    assert!(matches!(handled, Handled::Dropped(ZeroDropReason::Duplicate)), "{handled:?}");
    // A pending request counts against max_peers: with it and one accepted peer, the
    // listener is full.
    let mut other = secure_client(&mut entropy, now);
    let elsewhere = SocketAddr::from(([127, 0, 0, 1], 5556));
    let second = exchange(&mut listener, &mut other, now, elsewhere).expect("a second request");
    listener.accept(now, second, 40002, &mut reply);
    let mut third = secure_client(&mut entropy, now);
    let third_addr = SocketAddr::from(([127, 0, 0, 1], 5557));
    assert!(exchange(&mut listener, &mut third, now, third_addr).is_none());
    assert!(matches!(
        third.poll_event(),
        Some(stardust_proto::ConnectionEvent::Rejected {
            code: stardust_proto::ReasonCode::FULL,
            ..
        })
    ));
    // Answered, the first request is one peer, and its copies get its accept.
    listener.accept(now, request, 40001, &mut reply);
    let accept = reply.clone();
    assert!(matches!(listener.handle(later, from, &datagram, &mut reply), Handled::Reply));
    assert_eq!(reply, accept);
    assert_eq!(listener.peer_count(), 2);
}
