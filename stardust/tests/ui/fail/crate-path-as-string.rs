// `crate = "..."` is a string; the override is a path written without quotes.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, crate = "stardust")]
pub struct Chat;

fn main() {}
