// Unions are not channel markers.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable)]
pub union Chat {
    bits: u32,
}

fn main() {}
