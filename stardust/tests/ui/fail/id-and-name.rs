// `id` and `name` both decide the id; giving both is ambiguous.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, id = 7, name = "game.chat")]
pub struct Chat;

fn main() {}
