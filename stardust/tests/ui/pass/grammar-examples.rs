// The five forms of the attribute grammar from the derive's documentation all compile.
use stardust::prelude::*;

mod my_engine {
    pub mod net {
        pub use ::stardust;
    }
}

#[derive(Channel)]
#[channel(reliable, ordered)] // delivery
pub struct Chat;

#[derive(Channel)]
#[channel(unreliable, sequenced, max_size = 1024, priority = 200)]
pub struct Movement;

#[derive(Channel)]
#[channel(reliable, unordered, id = 0x00BEEF)] // explicit id
pub enum Events {}

#[derive(Channel)]
#[channel(reliable, ordered, name = "game.chat")] // stable id from a name, survives moves/renames
pub struct ChatV2;

#[derive(Channel)]
#[channel(unreliable, crate = my_engine::net::stardust)] // re-exported crate path
pub struct Ping;

fn main() {
    assert!(Chat::CONFIG.is_valid());
    assert!(Movement::CONFIG.is_valid());
    assert_eq!(Events::ID.get(), 0x00BEEF);
    assert_eq!(ChatV2::ID, ChannelId::from_name("game.chat"));
    assert_eq!(Ping::CONFIG.reliability, Reliability::Unreliable);
}
