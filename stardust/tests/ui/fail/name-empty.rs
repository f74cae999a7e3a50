// `name = ""` would give every unnamed-by-mistake channel the same id.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, name = "")]
pub struct Chat;

fn main() {}
