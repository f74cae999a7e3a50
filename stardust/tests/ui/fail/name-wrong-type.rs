// `name` takes a string literal, not a number or a path.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, name = 5)]
pub struct Chat;

fn main() {}
