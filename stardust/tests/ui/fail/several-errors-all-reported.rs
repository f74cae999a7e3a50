// Every mistake in one attribute is reported in one compile, not just the first.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, ordered, id = "5", max_size = 0, priorty = 1, sequenced)]
pub struct Chat;

fn main() {}
