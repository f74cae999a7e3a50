// `max_size` above 16 MiB (16777216 bytes) is refused.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, max_size = 16777217)]
pub struct Chat;

fn main() {}
