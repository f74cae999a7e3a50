// An unknown key that resembles no valid key lists every valid key instead of guessing.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, bandwidth = 5)]
pub struct Chat;

fn main() {}
