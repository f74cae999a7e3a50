//! Stardust: networking for the Bevy game engine.
//!
//! Declare channels as types, add two plugins, and peers appear as entities that your
//! systems send to and read from. This page is the guide: a complete game over UDP first
//! (copy it), then typed messages, then which tool for which job.
//!
//! # A listener and a client over UDP
//!
//! Two Apps in one process here, so the example runs as a test; in a game they are two
//! programs, the client given the listener's address (a host name works too:
//! [`connect_udp_host`](udp::UdpConnectExt::connect_udp_host) takes `"localhost:7777"`) and
//! its public key.
//!
//! ```
//! use std::time::{Duration, Instant};
//!
//! use bevy::prelude::*;
//! use serde::{Deserialize, Serialize};
//! use stardust::prelude::*;
//!
//! /// What players say. Any type with serde's derives can be a channel's message.
//! #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
//! struct ChatLine {
//!     text: String,
//! }
//!
//! /// Every line arrives, in order, as a `ChatLine`.
//! #[derive(Channel)]
//! #[channel(reliable, ordered, message = ChatLine)]
//! struct Chat;
//!
//! /// Positions: only the newest matters, so lost ones are never resent. A byte channel.
//! #[derive(Channel)]
//! #[channel(unreliable, sequenced, max_size = 64)]
//! struct Movement;
//!
//! /// Both sides register the same channels: their ids and configs (and the game's
//! /// version) form the protocol hash, compared once in the handshake.
//! fn game(udp: UdpConfig) -> App {
//!     let mut app = App::new();
//!     app.add_plugins((MinimalPlugins, StardustPlugin, UdpPlugin::new(udp)))
//!         .add_channel::<Chat>()
//!         .add_channel::<Movement>()
//!         .add_protocol_value("game.version", "0.1.0");
//!     app
//! }
//!
//! /// The listener greets every peer that connects.
//! fn greet(mut joined: MessageReader<PeerConnected>, mut chat: ChannelWriter<Chat>) {
//!     for event in joined.read() {
//!         let line = ChatLine { text: format!("welcome, {}", event.peer) };
//!         chat.send(event.peer, &line).expect("the new peer is connected");
//!     }
//! }
//!
//! #[derive(Resource, Default)]
//! struct Heard(Vec<ChatLine>);
//!
//! /// The client keeps what it hears.
//! fn listen(chat: ChannelReader<Chat>, mut heard: ResMut<Heard>) {
//!     for (_peer, line) in chat.read() {
//!         heard.0.push(line);
//!     }
//! }
//!
//! // The listener: handshakes on one port, peers spread over two more (OS-chosen here; a
//! // server names them, e.g. `UdpConfig::listening("0.0.0.0:7777".parse()?, 7778..=7781)`).
//! let mut listener = game(UdpConfig::loopback(2));
//! listener.add_systems(Update, greet);
//! listener.update(); // binds the sockets
//! let transport = listener.world().resource::<UdpTransport>();
//! let address = transport.listen_addr().expect("listening");
//! let key = transport.public_key().expect("secure by default");
//!
//! // The client: pins the listener's key, so only that listener can answer.
//! let mut client = game(UdpConfig::default());
//! client.init_resource::<Heard>().add_systems(Update, listen);
//! let options = UdpConnectOptions { listener_key: Some(key), ..default() };
//! let server = client.world_mut().connect_udp_with(address, options);
//!
//! let deadline = Instant::now() + Duration::from_secs(10);
//! while client.world().resource::<Heard>().0.is_empty() && Instant::now() < deadline {
//!     listener.update();
//!     client.update();
//!     std::thread::sleep(Duration::from_millis(1));
//! }
//! assert_eq!(client.world().get::<PeerState>(server), Some(&PeerState::Connected));
//! assert!(client.world().resource::<Heard>().0[0].text.starts_with("welcome"));
//! ```
//!
//! What to notice:
//! - **Peers are entities.** [`PeerConnected`](peer::PeerConnected) and
//!   [`PeerDisconnected`](peer::PeerDisconnected) say when they come and go; put your own
//!   components on them (a player name, a team). There is no client or server type: the
//!   listener and the client run the same plugins, and one App may do both.
//! - **Sending never blocks and never conflicts.** [`ChannelWriter`](messages::ChannelWriter)
//!   queues into a buffer of its own system, so systems sending on any channels run in
//!   parallel; everything leaves in [`StardustSet::Flush`](plugin::StardustSet::Flush) /
//!   [`StardustSet::Send`](plugin::StardustSet::Send) at the end of the frame, and arrives
//!   in [`StardustSet::Receive`](plugin::StardustSet::Receive) /
//!   [`StardustSet::Dispatch`](plugin::StardustSet::Dispatch) at the start of one, so
//!   systems in `Update` see it.
//! - **Secure by default.** Every connection is encrypted and authenticated; pin the
//!   listener's key as above (print it at start, ship it with the client) and nobody else
//!   can answer for it.
//!
//! # Typed messages, or bytes
//!
//! `#[channel(message = T)]` makes a channel carry values of `T` (any owned type with serde's
//! `Serialize` and `Deserialize`): [`ChannelWriter::send`](messages::ChannelWriter::send)
//! takes `&T`, [`ChannelReader::read`](messages::ChannelReader::read) yields `(peer, T)`.
//! Values travel in postcard's compact encoding (specified for other languages in
//! `docs/PROTOCOL.md`); an encoding above the channel's `max_size` is refused when sent, and a
//! payload that does not decode is dropped and counted in the sender's
//! [`PeerStats`](peer::PeerStats), so readers only see whole values. Without `message`, a
//! channel carries bytes: send anything `Into<Bytes>`, read `&Bytes`, and encode as you
//! like (the cheapest path when you already hold a buffer to share between peers). The
//! [derive's cheat sheet](derive@channel::Channel) lists every key.
//!
//! # Which tool for which job
//!
//! - **Your own messages** (chat, inputs, game events, RPCs): typed channels as above. Pick
//!   reliability and ordering per channel: `reliable, ordered` for what must all arrive in
//!   order, `unreliable, sequenced` for state where only the newest counts.
//! - **Replicating entities and components** (spawn, change, despawn, visibility, priority):
//!   use [bevy_replicon](https://docs.rs/bevy_replicon) over Stardust with the
//!   `stardust_replicon` crate, rather than writing replication by hand.
//! - **Channels known only at run time** (a transport, a plugin numbering its own channels):
//!   register them by id or name with
//!   [`RuntimeChannelAppExt`](plugin::RuntimeChannelAppExt), then send and read bytes by id
//!   with [`ChannelWriterById`](messages::ChannelWriterById) and
//!   [`ChannelReaderById`](messages::ChannelReaderById).
//! - **Tests of your game's netcode**: the in-memory [`link`] transport joins Apps in one
//!   process with no sockets.
//! - **Trying your game on a bad network**: the [`conditioner`] drops, delays, jitters and
//!   duplicates datagrams below the protocol (`UdpConfig::conditioner`, or the
//!   `NetworkConditioner` resource at run time).
//!
//! # Examples
//!
//! | command | what it shows |
//! |---|---|
//! | `cargo run --release --example arena` | a listener and bots over UDP, reliable and unreliable channels, per-peer stats; exits 0 only if every reliable message arrived |
//! | `cargo run --example chat -- --listen 127.0.0.1:7777` | an interactive terminal chat (run `--connect` in other terminals) |
//! | `cargo run --example channels` | declaring channels and reading the registry and the protocol hash |
//! | `cargo run --release -p stardust_replicon --example replicated` | bevy_replicon over Stardust: a server replicating moving entities to several clients |
//!
//! # Where things live
//!
//! | module | what it holds |
//! |---|---|
//! | [`channel`] | the [`Channel`](channel::Channel) trait and derive, message types, the channel registry (derived and runtime channels), the protocol hash |
//! | [`plugin`] | [`StardustPlugin`](plugin::StardustPlugin), the system sets, `add_channel` |
//! | [`messages`] | per-channel queues: [`ChannelWriter`](messages::ChannelWriter), [`ChannelReader`](messages::ChannelReader), their by-id forms, dispatch and flush |
//! | [`peer`] | peers as entities: state, lifecycle messages, stats, inbox and outbox |
//! | [`link`] | the in-memory transport between two Apps |
//! | [`conditioner`] | loss, latency, jitter and duplication a game can switch on, for either transport |
//! | [`udp`] | the UDP transport; its module docs map its folders (port allocation, per-port I/O, the listen port, the Bevy systems) |
//! | [`proto`] | the sans-IO engine (`stardust_proto`): wire format, reliability, handshake |

#![warn(missing_docs)]

pub mod channel;
pub mod conditioner;
pub mod link;
pub mod messages;
pub mod peer;
pub mod plugin;
pub mod prelude;
pub mod stats;
pub mod udp;

/// The sans-IO protocol engine and the wire-level channel types, re-exported from `stardust_proto`.
pub mod proto {
    pub use stardust_proto::*;
}
