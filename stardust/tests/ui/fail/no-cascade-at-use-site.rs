// A broken attribute yields its own error only: uses of the type elsewhere raise nothing more.
use bevy::prelude::*;
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, priority = 999)]
pub struct Broken;

fn f() -> ChannelId {
    Broken::ID
}

fn main() {
    let _ = f();
    let _ = Broken::CONFIG;
    App::new().add_channel::<Broken>();
}
