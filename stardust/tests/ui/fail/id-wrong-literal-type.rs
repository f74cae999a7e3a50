// `id = "5"` is a string, not a number; the error says to drop the quotes.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, id = "5")]
pub struct Chat;

fn main() {}
