// `max_size = 1.5` is a float; sizes are whole bytes.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, max_size = 1.5)]
pub struct Chat;

fn main() {}
