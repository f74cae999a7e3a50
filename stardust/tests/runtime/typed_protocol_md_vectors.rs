//! The typed-message examples of docs/PROTOCOL.md section 11 are exact: each documented
//! payload is what `ChannelWriter` puts in the outbox for that value, and injected as a
//! received payload it is read back as the same value.

// Written like game code: Bevy system params without `'_` lifetimes.

use std::collections::BTreeMap;

use bevy::prelude::*;
use serde::{Deserialize, Serialize};
use stardust::messages::PeerOutbox;
use stardust::prelude::*;

use crate::support::{inject, run_once, spawn_bare_peer};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct ChatLine {
    from: u32,
    text: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
enum Input {
    Move { x: f32, y: f32 },
    Jump,
    Say(String),
}

type Mixed = (i16, Option<u64>, [u8; 2]);

#[derive(Channel)]
#[channel(reliable, ordered, id = 0x000F01, message = ChatLine)]
struct Chat;

#[derive(Channel)]
#[channel(reliable, ordered, id = 0x000F02, message = Input)]
struct Inputs;

#[derive(Channel)]
#[channel(reliable, ordered, id = 0x000F03, message = Mixed)]
struct MixedChannel;

/// The `message-vector: NAME` blocks of docs/PROTOCOL.md, as bytes.
fn documented() -> BTreeMap<String, Vec<u8>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/PROTOCOL.md");
    let text = std::fs::read_to_string(path).expect("docs/PROTOCOL.md is readable");
    let mut found = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(name) = line.strip_prefix("message-vector: ") else { continue };
        let hex = lines.next().expect("a line of hex follows the name");
        let bytes = hex
            .split_whitespace()
            .map(|byte| u8::from_str_radix(byte, 16).expect("hex byte"))
            .collect();
        found.insert(name.trim().to_owned(), bytes);
    }
    found
}

/// What the writer queued for `value` on `C`, and what the reader gets back for `payload`.
fn check<C, M>(name: &str, value: M, payload: &[u8])
where
    C: Channel<Message = M>,
    M: Clone
        + PartialEq
        + core::fmt::Debug
        + for<'a> stardust::channel::ChannelMessage<Read<'a> = M>,
    for<'a> &'a M: stardust::channel::IntoMessage<'a, M>,
{
    let mut app = App::new();
    app.add_plugins(StardustPlugin).add_channel::<C>();
    let peer = spawn_bare_peer(&mut app);
    let sent = value.clone();
    run_once(&mut app, move |mut writer: ChannelWriter<C>| writer.send(peer, &sent).unwrap());
    app.update();
    let outbox = app.world().get::<PeerOutbox>(peer).unwrap();
    assert_eq!(outbox.as_slice()[0].1.as_ref(), payload, "vector `{name}`: encoding");

    inject(&mut app, peer, C::ID, payload);
    app.update();
    let read = run_once(&mut app, |reader: ChannelReader<C>| {
        reader.read().map(|(_, message)| message).collect::<Vec<M>>()
    });
    assert_eq!(read, vec![value], "vector `{name}`: decoding");
}

#[test]
fn protocol_md_typed_message_examples_are_exact() {
    let documented = documented();
    let names: Vec<&str> = documented.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "(i16, Option<u64>, [u8; 2]) = (-2, Some(1), [7, 8])",
            "ChatLine { from: 300, text: \"hi\" }",
            "Input::Move { x: 1.5, y: -2.0 }",
            "Input::Say(\"gg\")",
        ],
        "every documented typed vector is checked below, and no other"
    );
    let vector = |name: &str| documented[name].clone();
    check::<Chat, _>(
        "ChatLine",
        ChatLine { from: 300, text: "hi".into() },
        &vector("ChatLine { from: 300, text: \"hi\" }"),
    );
    check::<Inputs, _>(
        "Input::Move",
        Input::Move { x: 1.5, y: -2.0 },
        &vector("Input::Move { x: 1.5, y: -2.0 }"),
    );
    check::<Inputs, _>("Input::Say", Input::Say("gg".into()), &vector("Input::Say(\"gg\")"));
    check::<MixedChannel, _>(
        "Mixed",
        (-2, Some(1), [7, 8]),
        &vector("(i16, Option<u64>, [u8; 2]) = (-2, Some(1), [7, 8])"),
    );
}
