// `reliable` and `unreliable` together are contradictory.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, unreliable)]
pub struct Chat;

fn main() {}
