// `id = 0xFFFFFF` does not fit the wire form `id + 1` in three bytes.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, id = 0xFFFFFF)]
pub struct Chat;

fn main() {}
