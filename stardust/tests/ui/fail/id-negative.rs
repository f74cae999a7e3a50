// A negative id is out of range, not silently wrapped.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, id = -1)]
pub struct Chat;

fn main() {}
