// A channel has one ordering: `ordered` and `sequenced` together are contradictory.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, ordered, sequenced)]
pub struct Chat;

fn main() {}
