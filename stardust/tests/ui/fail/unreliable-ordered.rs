// `unreliable` with `ordered` would stall forever on a lost message; the error suggests `sequenced`.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(unreliable, ordered)]
pub struct Movement;

fn main() {}
