//! The protocol hash covers runtime channels exactly like derived ones: adding one changes
//! the hash, and an App with a runtime channel hashes (and links up) like an App with the
//! derived channel of the same id and config.

use crate::support::{MAX_FRAMES, is_connected, step};
use bevy::prelude::*;
use stardust::prelude::*;

#[derive(Channel)]
#[channel(unreliable, sequenced, max_size = 300, priority = 7, id = 0x00BEEF)]
struct ById;

#[derive(Channel)]
#[channel(reliable, unordered, name = "test.hash.named")]
struct ByName;

fn by_id_config() -> ChannelConfig {
    ChannelConfig::new(Reliability::Unreliable, Ordering::Sequenced)
        .with_max_size(300)
        .with_priority(7)
}

fn hash(app: &App) -> ProtocolHash {
    app.world().get_resource::<ProtocolHash>().copied().unwrap_or_default()
}

fn runtime_app() -> App {
    let mut app = App::new();
    app.add_plugins((StardustPlugin, LinkPlugin))
        .add_channel_by_id(ChannelId::new(0xBEEF).unwrap(), by_id_config())
        .add_channel_by_name(
            "test.hash.named",
            ChannelConfig::new(Reliability::Reliable, Ordering::Unordered),
        );
    app
}

fn derived_app() -> App {
    let mut app = App::new();
    app.add_plugins((StardustPlugin, LinkPlugin)).add_channel::<ById>().add_channel::<ByName>();
    app
}

#[test]
fn adding_a_runtime_channel_changes_the_hash() {
    let mut app = App::new();
    app.add_plugins(StardustPlugin);
    let before = hash(&app);
    app.add_channel_by_id(ChannelId::new(1).unwrap(), by_id_config());
    let one = hash(&app);
    assert_ne!(one, before);
    app.add_channel_by_id(ChannelId::new(2).unwrap(), by_id_config());
    assert_ne!(hash(&app), one);
}

#[test]
fn runtime_channels_hash_like_their_derived_equivalents() {
    assert_eq!(hash(&runtime_app()), hash(&derived_app()));
    let mut other = App::new();
    other.add_channel_by_id(ChannelId::new(0xBEEF).unwrap(), by_id_config().with_priority(8));
    assert_ne!(hash(&other), hash(&App::new()));
}

#[test]
fn an_app_with_runtime_channels_links_with_one_deriving_them() {
    let (mut runtime, mut derived) = (runtime_app(), derived_app());
    let (on_runtime, on_derived) = stardust::link::connect(&mut runtime, &mut derived);
    for _ in 0..MAX_FRAMES {
        step(&mut [&mut runtime, &mut derived]);
    }
    assert!(is_connected(&runtime, on_runtime) && is_connected(&derived, on_derived));
}
