// `id` alone (no `= value`) tells the user how to write it.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, id)]
pub struct Chat;

fn main() {}
