//! Any change to what two peers must agree on (an id, any config field, a protocol
//! value's key or value) changes the protocol hash.

use bevy::prelude::*;
use stardust::channel::ProtocolHasher;
use stardust::prelude::*;

fn one_channel(id: u32, config: ChannelConfig) -> u64 {
    let mut hasher = ProtocolHasher::new();
    hasher.channel(id, &config);
    hasher.finish()
}

#[test]
fn every_config_field_and_the_id_change_the_hash() {
    let base = ChannelConfig::new(Reliability::Reliable, Ordering::Ordered);
    let reference = one_channel(7, base);
    let variants = [
        ("id", one_channel(8, base)),
        (
            "reliability",
            one_channel(7, ChannelConfig { reliability: Reliability::Unreliable, ..base }),
        ),
        ("ordering", one_channel(7, ChannelConfig { ordering: Ordering::Sequenced, ..base })),
        ("max_size", one_channel(7, base.with_max_size(base.max_size - 1))),
        ("priority", one_channel(7, base.with_priority(base.priority + 1))),
    ];
    for (field, hash) in variants {
        assert_ne!(hash, reference, "changing {field} must change the hash");
    }
}

#[derive(Channel)]
#[channel(reliable, ordered, name = "test.chat")]
struct Chat;

#[derive(Channel)]
#[channel(reliable, ordered, name = "test.chat.v2")]
struct ChatRenamed;

#[derive(Channel)]
#[channel(reliable, sequenced, name = "test.chat")]
struct ChatSequenced;

fn app_hash(build: impl FnOnce(&mut App)) -> ProtocolHash {
    let mut app = App::new();
    build(&mut app);
    app.world().get_resource::<ProtocolHash>().copied().unwrap_or_default()
}

#[test]
fn registered_channels_change_the_hash() {
    let chat = app_hash(|app| {
        app.add_channel::<Chat>();
    });
    assert_ne!(chat, app_hash(|_| {}), "adding a channel");
    assert_ne!(
        chat,
        app_hash(|app| {
            app.add_channel::<ChatRenamed>();
        }),
        "another id"
    );
    assert_ne!(
        chat,
        app_hash(|app| {
            app.add_channel::<ChatSequenced>();
        }),
        "another config"
    );
}

#[test]
fn protocol_values_change_the_hash() {
    let v1 = app_hash(|app| {
        app.add_protocol_value("game.version", "1.0.0");
    });
    assert_ne!(v1, app_hash(|_| {}), "adding a value");
    assert_ne!(
        v1,
        app_hash(|app| {
            app.add_protocol_value("game.version", "1.0.1");
        }),
        "value"
    );
    assert_ne!(
        v1,
        app_hash(|app| {
            app.add_protocol_value("game.versio", "1.0.0");
        }),
        "key"
    );
    // Length prefixes keep key/value boundaries unambiguous.
    assert_ne!(
        app_hash(|app| {
            app.add_protocol_value("ab", "c");
        }),
        app_hash(|app| {
            app.add_protocol_value("a", "bc");
        }),
    );
}

#[test]
#[should_panic(expected = "added twice with different values")]
fn the_same_key_with_two_values_panics() {
    App::new().add_protocol_value("game.version", "1").add_protocol_value("game.version", "2");
}

#[test]
fn the_same_key_and_value_twice_is_harmless() {
    let once = app_hash(|app| {
        app.add_protocol_value("k", "v");
    });
    let twice = app_hash(|app| {
        app.add_protocol_value("k", "v").add_protocol_value("k", "v");
    });
    assert_eq!(once, twice);
}
