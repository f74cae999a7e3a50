// A channel must say whether it is reliable or unreliable: there is no default.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(ordered)]
pub struct Chat;

fn main() {}
