//! Declares a game's channels, registers them, and prints what peers will agree on (and what
//! a tool or a client in another language needs): each channel's id in hex and as the 3
//! bytes written on the wire, its delivery contract, and the protocol hash.
//!
//! `cargo run --release --example channels`

#[path = "arena/describe.rs"]
mod describe;

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

    print!("{}", describe::describe(app.world()));
}
