// `max_size = 0` would accept no message at all.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, max_size = 0)]
pub struct Chat;

fn main() {}
