// `priority = 256` does not fit the 0..=255 range.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(unreliable, priority = 256)]
pub struct Movement;

fn main() {}
