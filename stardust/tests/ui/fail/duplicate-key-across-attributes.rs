// Several #[channel] attributes are merged, so a key repeated in a second attribute is a duplicate.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, ordered)]
#[channel(ordered, priority = 10)]
pub struct Chat;

fn main() {}
