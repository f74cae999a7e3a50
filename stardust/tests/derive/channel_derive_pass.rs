//! `#[derive(Channel)]` produces exactly the id and config each form of the attribute
//! grammar promises, with the documented defaults filled in.

use stardust::prelude::*;

mod my_engine {
    pub mod net {
        pub use ::stardust;
    }
}

/// Delivery flags only: every default applies.
#[derive(Channel)]
#[channel(reliable, ordered)]
pub struct Chat;

/// Every config key given.
#[derive(Channel)]
#[channel(unreliable, sequenced, max_size = 1024, priority = 200)]
pub struct Movement;

/// An explicit id.
#[derive(Channel)]
#[channel(reliable, unordered, id = 0x00BEEF)]
pub enum Events {}

/// An id from a name.
#[derive(Channel)]
#[channel(reliable, ordered, name = "game.chat")]
pub struct ChatV2;

/// Stardust reached through a re-export.
#[derive(Channel)]
#[channel(unreliable, crate = my_engine::net::stardust)]
pub struct Ping;

/// The upper limit of every range.
#[derive(Channel)]
#[channel(reliable, max_size = 16777216, priority = 0, id = 0xFFFFFE)]
pub struct Extremes;

/// The lower limit of every range.
#[derive(Channel)]
#[channel(unreliable, id = 0, max_size = 1, priority = 255)]
pub struct OtherExtremes;

/// Channels declared by a `macro_rules!` macro: its `literal` and `path` fragments reach
/// the derive wrapped in invisible groups, and read as if written out.
macro_rules! channel_with {
    ($name:ident, $id:literal, $size:literal, $krate:path) => {
        /// A channel declared by `channel_with!`.
        #[derive(Channel)]
        #[channel(reliable, ordered, id = $id, max_size = $size, crate = $krate)]
        pub struct $name;
    };
    ($name:ident, $label:literal) => {
        /// A named channel declared by `channel_with!`.
        #[derive(Channel)]
        #[channel(unreliable, name = $label)]
        pub struct $name;
    };
}

channel_with!(FromMacro, 0x00ABCD, 512, my_engine::net::stardust);
channel_with!(NamedFromMacro, "game.macro");

mod nested {
    use stardust::prelude::*;

    #[derive(Channel)]
    #[channel(reliable, ordered)]
    pub struct Chat;
}

#[test]
fn reliable_ordered_gets_the_reliable_defaults() {
    assert_eq!(
        Chat::CONFIG,
        ChannelConfig {
            reliability: Reliability::Reliable,
            ordering: Ordering::Ordered,
            max_size: ChannelConfig::DEFAULT_RELIABLE_MAX_SIZE,
            priority: ChannelConfig::DEFAULT_PRIORITY,
        }
    );
    assert_eq!(Chat::CONFIG.max_size, 1024 * 1024);
    assert_eq!(Chat::CONFIG.priority, 128);
}

#[test]
fn explicit_max_size_and_priority_are_kept() {
    assert_eq!(
        Movement::CONFIG,
        ChannelConfig {
            reliability: Reliability::Unreliable,
            ordering: Ordering::Sequenced,
            max_size: 1024,
            priority: 200,
        }
    );
}

#[test]
fn explicit_id_is_used_verbatim() {
    assert_eq!(Events::ID, ChannelId::new(0x00BEEF).unwrap());
    assert_eq!(Events::CONFIG.ordering, Ordering::Unordered);
}

#[test]
fn name_gives_the_hash_of_the_name() {
    assert_eq!(ChatV2::ID, ChannelId::from_name("game.chat"));
}

#[test]
fn no_id_or_name_gives_the_hash_of_the_type_path() {
    assert_eq!(Chat::ID, ChannelId::from_name(concat!(module_path!(), "::Chat")));
    assert_eq!(nested::Chat::ID, ChannelId::from_name(concat!(module_path!(), "::nested::Chat")));
    assert_ne!(Chat::ID, nested::Chat::ID, "same ident in another module, another id");
}

#[test]
fn crate_override_compiles_and_gets_the_unreliable_defaults() {
    assert_eq!(
        Ping::CONFIG,
        ChannelConfig {
            reliability: Reliability::Unreliable,
            ordering: Ordering::Unordered,
            max_size: ChannelConfig::DEFAULT_UNRELIABLE_MAX_SIZE,
            priority: ChannelConfig::DEFAULT_PRIORITY,
        }
    );
    assert_eq!(Ping::ID, ChannelId::from_name(concat!(module_path!(), "::Ping")));
}

#[test]
fn values_substituted_by_a_macro_are_read_like_written_ones() {
    assert_eq!(FromMacro::ID, ChannelId::new(0x00ABCD).unwrap());
    assert_eq!(FromMacro::CONFIG.max_size, 512);
    assert_eq!(NamedFromMacro::ID, ChannelId::from_name("game.macro"));
}

#[test]
fn range_limits_are_accepted() {
    assert_eq!(Extremes::ID.get(), ChannelId::MAX);
    assert_eq!(Extremes::CONFIG.max_size, ChannelConfig::MAX_SIZE_LIMIT);
    assert_eq!(Extremes::CONFIG.priority, 0);
    assert_eq!(OtherExtremes::ID.get(), 0);
    assert_eq!(OtherExtremes::CONFIG.max_size, 1);
    assert_eq!(OtherExtremes::CONFIG.priority, 255);
}

#[test]
fn every_derived_config_is_valid() {
    for config in [
        Chat::CONFIG,
        Movement::CONFIG,
        Events::CONFIG,
        ChatV2::CONFIG,
        Ping::CONFIG,
        Extremes::CONFIG,
        OtherExtremes::CONFIG,
    ] {
        assert!(config.is_valid(), "{config:?}");
    }
}
