//! The worked examples of `docs/PROTOCOL.md` are what the code produces, byte for byte: a
//! secure handshake from fixed keys and randomness (request, retry, request with the cookie,
//! accept), the first sealed packet, a sealed close, a stateless reset, an insecure handshake,
//! and the plaintext packet examples. The document's blocks are parsed and compared, so the
//! specification cannot drift from the code.
//!
//! `STARDUST_PRINT_VECTORS=1 cargo test -p stardust_proto --test wire protocol_md -- --nocapture`
//! prints every block as the document should show it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use stardust_proto::crypto::{Entropy, ResetKey, SeededEntropy, StaticKeypair};
use stardust_proto::packet::{
    AckBlock, FragmentInfo, FrameHeader, PacketType, decode_packet, encode_frame, encode_header,
};
use stardust_proto::{
    ChannelConfig, ChannelId, ChannelTable, ClientSecurity, ConnectParams, Connection,
    ConnectionConfig, CookiePolicy, Endpoint, EndpointConfig, EndpointSecurity, Handled, Ordering,
    ReasonCode, Reliability, SecureClient,
};

/// FNV-1a 64 of `stardust-udp`: the UDP transport's identifier.
const TRANSPORT: u64 = 0x5173_04c8_90e3_9087;
const VERSION: u32 = 2;
const HASH: u64 = 0x9b1c_0e55_d2a4_f7e0;
const DATA_PORT: u16 = 40001;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A hex dump as the document shows it: offset, 16 bytes, printable ASCII.
fn dump(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (i, line) in bytes.chunks(16).enumerate() {
        let hexes: Vec<String> = line.iter().map(|b| format!("{b:02x}")).collect();
        let ascii: String =
            line.iter().map(|&b| if (0x20..0x7f).contains(&b) { b as char } else { '.' }).collect();
        out.push_str(&format!("{:04x}  {:<47}  {}\n", i * 16, hexes.join(" "), ascii));
    }
    out
}

/// A zero message as the document shows it: the JSON after the header, and how many spaces
/// pad it.
fn json(datagram: &[u8]) -> String {
    assert_eq!(&datagram[..3], &[0, 0, 0]);
    let text = std::str::from_utf8(&datagram[3..]).unwrap();
    let body = text.trim_end_matches(' ');
    let padding = text.len() - body.len();
    if padding == 0 { format!("{body}\n") } else { format!("{body}\n+ {padding} spaces\n") }
}

fn channels() -> ChannelTable {
    let chat = ChannelConfig::new(Reliability::Reliable, Ordering::Ordered);
    ChannelTable::new([(ChannelId::new(0xBEEF).unwrap(), chat)]).unwrap()
}

/// Every vector, by name, as the document shows it.
fn vectors() -> BTreeMap<&'static str, String> {
    let mut v = BTreeMap::new();
    let now = Instant::now();
    let listener = StaticKeypair::from_private([0x11; 32]);
    let client_identity = StaticKeypair::from_private([0x22; 32]);
    v.insert("keys", format!(
        "listener private  {}\nlistener public   {}\nclient private    {}\nclient public     {}\n",
        hex(&[0x11; 32]),
        hex(listener.public().as_bytes()),
        hex(&[0x22; 32]),
        hex(client_identity.public().as_bytes()),
    ));

    // The randomness each side draws, in order. The client: the attempt id, then a seed for
    // its ephemeral keys, whose first key is the first 32 bytes of that seed's stream. The
    // listener: its cookie secret, a seed for the ephemeral key, the connection id.
    let mut client_entropy = SeededEntropy::from_u64(1);
    let mut probe = client_entropy.clone();
    let id = probe.u64();
    let mut seeds = SeededEntropy::new(probe.bytes32());
    let client_ephemeral = SeededEntropy::new(seeds.bytes32()).bytes32();
    let mut listener_probe = SeededEntropy::from_u64(2);
    let cookie_secret = listener_probe.bytes32();
    let listener_ephemeral = SeededEntropy::new(listener_probe.bytes32()).bytes32();
    let cid = listener_probe.u64();
    v.insert("randomness", format!(
        "request id                  {id}\nclient ephemeral private    {}\nlistener cookie secret      {}\nlistener ephemeral private  {}\nconnection id               {cid}\n",
        hex(&client_ephemeral),
        hex(&cookie_secret),
        hex(&listener_ephemeral),
    ));

    let config = EndpointConfig {
        transport_id: TRANSPORT,
        transport_version: VERSION,
        protocol_hash: HASH,
        max_peers: 8,
        accepting: true,
        cookies: CookiePolicy::Always,
    };
    let security = EndpointSecurity::Secure(listener.clone());
    let mut endpoint = Endpoint::new(config, security, Box::new(SeededEntropy::from_u64(2)), now);
    let params = ConnectParams {
        transport_id: TRANSPORT,
        transport_version: VERSION,
        protocol_hash: HASH,
        security: ClientSecurity::Secure(SecureClient {
            identity: Some(client_identity),
            listener_key: Some(listener.public()),
            app_payload: Vec::new(),
        }),
    };
    let mut client = Connection::connect(
        ConnectionConfig::default(),
        channels(),
        params,
        &mut client_entropy,
        now,
    );
    let from: SocketAddr = "203.0.113.7:50000".parse().unwrap();
    let (mut datagram, mut reply) = (Vec::new(), Vec::new());

    assert!(client.poll_transmit(now, &mut datagram));
    v.insert("request", json(&datagram));
    let first_request = datagram.clone();
    assert!(matches!(endpoint.handle(now, from, &datagram, &mut reply), Handled::Reply));
    v.insert("retry", json(&reply));
    let retry = reply.clone();
    client.handle_datagram(now, &reply);
    assert!(client.poll_transmit(now, &mut datagram));
    v.insert("request-with-cookie", json(&datagram));
    let Handled::Request(request) = endpoint.handle(now, from, &datagram, &mut reply) else {
        panic!("the listener offered no request");
    };
    let peer = endpoint.accept(now, request, DATA_PORT, &mut reply);
    v.insert("accepted", json(&reply));
    let accepted = reply.clone();
    let mut server = Connection::accepted(ConnectionConfig::default(), channels(), now, peer);
    client.handle_datagram(now, &reply);
    assert!(client.is_connected());

    client.send(ChannelId::new(0xBEEF).unwrap(), Bytes::from_static(b"hello")).unwrap();
    assert!(client.poll_transmit(now, &mut datagram));
    v.insert("first-sealed-packet", dump(&datagram));
    let first_sealed = datagram.clone();
    server.handle_datagram(now, &datagram);
    assert_eq!(
        server.poll_message(),
        Some((ChannelId::new(0xBEEF).unwrap(), Bytes::from_static(b"hello")))
    );

    server.close(now, ReasonCode::CLOSED, serde_json::json!("bye"));
    let later = now + Duration::from_millis(1);
    assert!(server.poll_transmit(later, &mut datagram));
    v.insert("sealed-close", dump(&datagram));
    let sealed_close = datagram.clone();

    let mut reset = Vec::new();
    ResetKey::from_identity(&listener).write_reset(cid, [0xAB, 0xCD], &mut reset);
    v.insert("stateless-reset", dump(&reset));

    let secure = SecureRun {
        id,
        client_ephemeral,
        listener_ephemeral,
        cookie_secret,
        cid,
        from,
        first_request,
        retry,
        accepted,
        first_sealed,
        sealed_close,
        reset,
    };
    independent::rederive(&secure, &mut v);

    // Insecure: request and accept.
    let mut entropy = SeededEntropy::from_u64(3);
    let insecure = ConnectParams { security: ClientSecurity::Insecure, ..client_params_base() };
    let mut plain =
        Connection::connect(ConnectionConfig::default(), channels(), insecure, &mut entropy, now);
    let config = EndpointConfig { cookies: CookiePolicy::Always, ..config };
    let mut open = Endpoint::new(
        config,
        EndpointSecurity::Insecure,
        Box::new(SeededEntropy::from_u64(4)),
        now,
    );
    assert!(plain.poll_transmit(now, &mut datagram));
    v.insert("insecure-request", json(&datagram));
    let Handled::Request(request) = open.handle(now, from, &datagram, &mut reply) else { panic!() };
    open.accept(now, request, DATA_PORT, &mut reply);
    v.insert("insecure-accepted", json(&reply));

    plaintext_packets(&mut v);
    v
}

/// What the secure run produced, for the independent re-derivation.
struct SecureRun {
    id: u64,
    client_ephemeral: [u8; 32],
    listener_ephemeral: [u8; 32],
    cookie_secret: [u8; 32],
    cid: u64,
    from: SocketAddr,
    first_request: Vec<u8>,
    retry: Vec<u8>,
    accepted: Vec<u8>,
    first_sealed: Vec<u8>,
    sealed_close: Vec<u8>,
    reset: Vec<u8>,
}

/// The secure vectors rebuilt from the document's rules alone, with off-the-shelf Noise,
/// AEAD and BLAKE2s and none of Stardust's code: what an implementer in another language
/// does. Each must give exactly the bytes Stardust sent; the plaintexts and keys it finds on
/// the way are vectors too.
mod independent {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD as BASE64;
    use blake2::digest::consts::U16;
    use blake2::digest::{FixedOutput, Mac};
    use blake2::{Blake2s256, Blake2sMac, Digest};
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    use chacha20poly1305::{ChaCha20Poly1305, Nonce};

    const PATTERN: &str = "Noise_IK_25519_ChaChaPoly_BLAKE2s";

    /// snow's own primitives, and a generator that is never drawn from: both ephemeral keys
    /// are fixed.
    struct FixedKeys;
    struct NoRandom;

    impl snow::types::Random for NoRandom {
        fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), snow::Error> {
            panic!("the vectors fix every ephemeral key; nothing else is random")
        }
    }

    impl snow::resolvers::CryptoResolver for FixedKeys {
        fn resolve_rng(&self) -> Option<Box<dyn snow::types::Random>> {
            Some(Box::new(NoRandom))
        }
        fn resolve_dh(&self, choice: &snow::params::DHChoice) -> Option<Box<dyn snow::types::Dh>> {
            snow::resolvers::DefaultResolver.resolve_dh(choice)
        }
        fn resolve_hash(
            &self,
            choice: &snow::params::HashChoice,
        ) -> Option<Box<dyn snow::types::Hash>> {
            snow::resolvers::DefaultResolver.resolve_hash(choice)
        }
        fn resolve_cipher(
            &self,
            choice: &snow::params::CipherChoice,
        ) -> Option<Box<dyn snow::types::Cipher>> {
            snow::resolvers::DefaultResolver.resolve_cipher(choice)
        }
    }

    fn builder() -> snow::Builder<'static> {
        snow::Builder::with_resolver(PATTERN.parse().unwrap(), Box::new(FixedKeys))
    }

    fn member(datagram: &[u8], name: &str) -> serde_json::Value {
        let value: serde_json::Value = serde_json::from_slice(&datagram[3..]).unwrap();
        value[name].clone()
    }

    fn b64_member(datagram: &[u8], name: &str) -> Vec<u8> {
        BASE64.decode(member(datagram, name).as_str().unwrap()).unwrap()
    }

    fn prologue(id: u64) -> Vec<u8> {
        let mut p = b"stardust-v2".to_vec();
        p.extend_from_slice(&TRANSPORT.to_be_bytes());
        p.extend_from_slice(&VERSION.to_be_bytes());
        p.extend_from_slice(&HASH.to_be_bytes());
        p.extend_from_slice(&id.to_be_bytes());
        p
    }

    fn mac16(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 16] {
        let mut mac = <Blake2sMac<U16> as blake2::digest::KeyInit>::new_from_slice(key).unwrap();
        for part in parts {
            mac.update(part);
        }
        mac.finalize_fixed().into()
    }

    fn open(key: &[u8; 32], datagram: &[u8]) -> Vec<u8> {
        let pn = u64::from(u16::from_be_bytes([datagram[9], datagram[10]]));
        let mut nonce = [0u8; 12];
        nonce[4..].copy_from_slice(&pn.to_le_bytes());
        let cipher = ChaCha20Poly1305::new(key.into());
        let payload = Payload { msg: &datagram[11..], aad: &datagram[..11] };
        cipher.decrypt(Nonce::from_slice(&nonce), payload).expect("the packet opens")
    }

    pub(super) fn rederive(run: &SecureRun, v: &mut BTreeMap<&'static str, String>) {
        let prologue = prologue(run.id);
        // The client's first Noise message: IK from its static key, the listener's, its
        // ephemeral, the prologue, and the hello payload.
        let hello = br#"{"anonymous":false}"#;
        let listener_public = StaticKeypair::from_private([0x11; 32]).public();
        let mut initiator = builder()
            .local_private_key(&[0x22; 32])
            .unwrap()
            .remote_public_key(listener_public.as_bytes())
            .unwrap()
            .prologue(&prologue)
            .unwrap()
            .fixed_ephemeral_key_for_testing_only(&run.client_ephemeral)
            .build_initiator()
            .unwrap();
        let mut message1 = [0u8; 256];
        let len = initiator.write_message(hello, &mut message1).unwrap();
        assert_eq!(
            &message1[..len],
            &b64_member(&run.first_request, "noise")[..],
            "Noise message 1"
        );
        assert_eq!(len, 32 + 48 + hello.len() + 16, "e, s sealed, payload sealed");
        v.insert("hello-payload", format!("{}\n", std::str::from_utf8(hello).unwrap()));

        // The cookie: BLAKE2s-128 keyed with the secret over the label, the bucket (0: the
        // listener just started) and the address, IPv4 mapped to IPv6.
        let std::net::IpAddr::V4(ip) = run.from.ip() else { panic!("the example is IPv4") };
        let cookie = mac16(
            &run.cookie_secret,
            &[
                b"stardust-cookie",
                &0u64.to_be_bytes(),
                &ip.to_ipv6_mapped().octets(),
                &run.from.port().to_be_bytes(),
            ],
        );
        assert_eq!(&b64_member(&run.retry, "cookie")[..], &cookie, "cookie");

        // The reset token: a key hashed from the listener's static private key, then a MAC of
        // the connection id.
        let mut hash = Blake2s256::new();
        hash.update(b"stardust-reset-key");
        hash.update([0x11; 32]);
        let reset_key: [u8; 32] = hash.finalize().into();
        let token = mac16(&reset_key, &[b"stardust-reset", &run.cid.to_be_bytes()]);
        let mut reset = vec![0x10];
        reset.extend_from_slice(&run.cid.to_be_bytes());
        reset.extend_from_slice(&[0xAB, 0xCD]);
        reset.extend_from_slice(&token);
        assert_eq!(reset, run.reset, "stateless reset");

        // The listener's answer: it reads message 1 and writes message 2 with the accept.
        let accept = format!(
            r#"{{"port":{DATA_PORT},"cid":{},"reset":"{}"}}"#,
            run.cid,
            BASE64.encode(token)
        );
        let mut responder = builder()
            .local_private_key(&[0x11; 32])
            .unwrap()
            .prologue(&prologue)
            .unwrap()
            .fixed_ephemeral_key_for_testing_only(&run.listener_ephemeral)
            .build_responder()
            .unwrap();
        let mut read = [0u8; 256];
        let got = responder.read_message(&message1[..len], &mut read).unwrap();
        assert_eq!(&read[..got], hello);
        let mut message2 = [0u8; 256];
        let len2 = responder.write_message(accept.as_bytes(), &mut message2).unwrap();
        assert_eq!(&message2[..len2], &b64_member(&run.accepted, "noise")[..], "Noise message 2");
        v.insert("accept-payload", format!("{accept}\n"));
        let got = initiator.read_message(&message2[..len2], &mut read).unwrap();
        assert_eq!(&read[..got], accept.as_bytes());

        // The split: the first key seals what the client sends, the second what the listener
        // sends.
        let (client_to_listener, listener_to_client) = initiator.dangerously_get_raw_split();
        v.insert(
            "transport-keys",
            format!(
                "client to listener  {}\nlistener to client  {}\n",
                hex(&client_to_listener),
                hex(&listener_to_client),
            ),
        );
        v.insert("first-sealed-plaintext", dump(&open(&client_to_listener, &run.first_sealed)));
        v.insert("sealed-close-plaintext", dump(&open(&listener_to_client, &run.sealed_close)));
    }
}

fn client_params_base() -> ConnectParams {
    ConnectParams {
        transport_id: TRANSPORT,
        transport_version: VERSION,
        protocol_hash: HASH,
        security: ClientSecurity::Insecure,
    }
}

/// The plaintext packet examples of section 3 (what a sealed packet carries, and what an
/// insecure connection sends as it is).
fn plaintext_packets(v: &mut BTreeMap<&'static str, String>) {
    let beef = ChannelId::new(0xBEEF).unwrap();
    let mut first = Vec::new();
    encode_header(PacketType::Data, 0x1234, &[], &mut first);
    encode_frame(&FrameHeader { channel: beef, msg_seq: 0, fragment: None }, b"hello", &mut first);
    encode_frame(
        &FrameHeader { channel: ChannelId::new(0).unwrap(), msg_seq: 7, fragment: None },
        b"hi",
        &mut first,
    );
    v.insert("packet-data", dump(&first));
    let mut ack = Vec::new();
    let blocks =
        [AckBlock { ack: 0x1240, ack_bits: 0b1011 }, AckBlock { ack: 0x1200, ack_bits: 1 }];
    encode_header(PacketType::Ack, 0x5678, &blocks, &mut ack);
    v.insert("packet-ack", dump(&ack));
    let mut fragment = Vec::new();
    encode_header(
        PacketType::Data,
        0x1235,
        &[AckBlock { ack: 0x5678, ack_bits: 0 }],
        &mut fragment,
    );
    let frame = FrameHeader {
        channel: beef,
        msg_seq: 3,
        fragment: Some(FragmentInfo { index: 1, count: 3 }),
    };
    encode_frame(&frame, b"abcd", &mut fragment);
    v.insert("packet-fragment", dump(&fragment));
    // And they read back as what they were written from.
    let (header, frames) = decode_packet(Bytes::from(first)).unwrap();
    assert_eq!((header.seq, header.acks.len(), frames.len()), (0x1234, 0, 2));
    assert_eq!(frames[1].1, Bytes::from_static(b"hi"));
    let (header, _) = decode_packet(Bytes::from(ack)).unwrap();
    assert_eq!(header.acks, blocks);
    let (_, frames) = decode_packet(Bytes::from(fragment)).unwrap();
    assert_eq!(frames, [(frame, Bytes::from_static(b"abcd"))]);
}

/// The `vector: NAME` blocks of the document, their lines joined.
fn document_vectors() -> BTreeMap<String, String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/PROTOCOL.md");
    let text = std::fs::read_to_string(path).expect("docs/PROTOCOL.md is readable");
    let mut found = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(name) = line.strip_prefix("vector: ") else { continue };
        let mut block = String::new();
        for line in lines.by_ref() {
            if line.starts_with("```") {
                break;
            }
            block.push_str(line);
            block.push('\n');
        }
        found.insert(name.trim().to_owned(), block);
    }
    found
}

#[test]
fn protocol_md_examples_are_exact() {
    let computed = vectors();
    if std::env::var_os("STARDUST_PRINT_VECTORS").is_some() {
        for (name, block) in &computed {
            println!("```text\nvector: {name}\n{block}```\n");
        }
    }
    let documented = document_vectors();
    for (name, block) in &computed {
        let doc = documented
            .get(*name)
            .unwrap_or_else(|| panic!("docs/PROTOCOL.md has no vector `{name}`"));
        assert_eq!(doc, block, "vector `{name}` in docs/PROTOCOL.md differs from the code");
    }
    for name in documented.keys() {
        assert!(
            computed.contains_key(name.as_str()),
            "docs/PROTOCOL.md has a vector `{name}` no test checks"
        );
    }
}
