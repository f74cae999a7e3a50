// A borrowed message type is refused: readers get owned values back.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, message = &'static str)]
pub struct Chat;

fn main() {}
