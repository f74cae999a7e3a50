//! Declares a game's channels, registers them, and prints what peers will agree on:
//! each channel's id and delivery contract, and the protocol hash.
//!
//! `cargo run --release --example channels`

use bevy::prelude::*;
use stardust::prelude::*;

/// Chat lines: every one arrives, in the order typed.
#[derive(Channel)]
#[channel(reliable, ordered)]
pub struct Chat;

/// Positions: only the newest matters, so drop what is late.
#[derive(Channel)]
#[channel(unreliable, sequenced, max_size = 1024, priority = 200)]
pub struct Movement;

/// Game events: every one arrives, in any order, on a fixed id.
#[derive(Channel)]
#[channel(reliable, unordered, id = 0x00BEEF)]
pub enum Events {}

/// Chat, renamed and moved without changing its id.
#[derive(Channel)]
#[channel(reliable, ordered, name = "game.chat")]
pub struct ChatV2;

fn main() {
    let mut app = App::new();
    app.add_channel::<Chat>()
        .add_channel::<Movement>()
        .add_channel::<Events>()
        .add_channel::<ChatV2>()
        .add_protocol_value("game.version", env!("CARGO_PKG_VERSION"));

    let world = app.world();
    println!(
        "{:<10} {:<12} {:<11} {:>9} {:>8}  type",
        "id", "reliability", "ordering", "max_size", "priority"
    );
    for entry in world.resource::<ChannelRegistry>().iter() {
        let c = entry.config;
        println!(
            "{:<10} {:<12} {:<11} {:>9} {:>8}  {}",
            entry.id.to_string(),
            format!("{:?}", c.reliability),
            format!("{:?}", c.ordering),
            c.max_size,
            c.priority,
            entry.type_name
        );
    }
    println!("protocol hash: {}", world.resource::<ProtocolHash>());
}
