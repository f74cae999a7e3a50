//! Channel ids derived from names and type paths are pinned forever: peers built from
//! different versions, machines or compilers must agree on them. Any change to the
//! hashing algorithm or to the derive's hash input fails this file.

use stardust::prelude::*;

/// FNV-1a 64 then `% 0xFFFFFF`, written out again here so that the pinned values are
/// checked against an implementation that shares no code with `stardust_proto`.
fn independent_channel_id(name: &str) -> u32 {
    let mut hash: u64 = 14_695_981_039_346_656_037; // FNV-1a 64 offset basis
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(1_099_511_628_211); // FNV-1a 64 prime
    }
    u32::try_from(hash % 16_777_215).expect("a value below 2^24 fits u32")
}

/// Names and the ids they must hash to, computed once and checked by hand.
const GOLDEN: &[(&str, u32)] = &[
    ("game.chat", 0x4C4579),
    ("game.chat.v2", 0x52C859),
    ("my_game::net::Chat", 0x89E185),
    ("my_game::net::Movement", 0x3222C1),
    ("channel_id_golden::Chat", 0x5EF3E8),
    ("a", 0xDEE875),
    ("foobar", 0x7B5F73),
    ("stardust", 0x4E3513),
    ("ünïcödé.chat", 0x9E6B2E),
    ("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 0xC93D44),
];

#[test]
fn golden_ids_match_an_independent_fnv1a_implementation() {
    for &(name, golden) in GOLDEN {
        assert_eq!(independent_channel_id(name), golden, "independent hash of {name:?}");
    }
}

#[test]
fn from_name_returns_the_pinned_ids() {
    for &(name, golden) in GOLDEN {
        assert_eq!(ChannelId::from_name(name).get(), golden, "ChannelId::from_name({name:?})");
    }
}

#[test]
fn from_name_is_usable_in_const_context() {
    const GAME_CHAT: ChannelId = ChannelId::from_name("game.chat");
    assert_eq!(GAME_CHAT.get(), 0x4C4579);
}

/// Id from the type path `derive::channel_id_golden::Chat`.
#[derive(Channel)]
#[channel(reliable, ordered)]
pub struct Chat;

/// Id from the name `game.chat`.
#[derive(Channel)]
#[channel(reliable, ordered, name = "game.chat")]
pub struct ChatV2;

#[test]
fn derive_hashes_the_type_path_to_the_pinned_id() {
    // This module is `channel_id_golden` of the test crate `derive`, so the derive hashes
    // "derive::channel_id_golden::Chat" (FNV-1a 64 mod 0xFFFFFF, computed by hand).
    assert_eq!(Chat::ID.get(), 0x4BDC49);
}

#[test]
fn derive_hashes_the_name_to_the_pinned_id() {
    assert_eq!(ChatV2::ID.get(), 0x4C4579);
}

#[test]
fn no_derived_id_is_the_reserved_0xffffff_for_100k_names() {
    for i in 0..100_000u32 {
        for name in [format!("game.channel.{i}"), format!("my_game::net::Channel{i}")] {
            let id = ChannelId::from_name(&name).get();
            assert!(id <= ChannelId::MAX, "{name:?} hashed to {id:#08X}");
            assert_eq!(id, independent_channel_id(&name), "{name:?}");
        }
    }
}
