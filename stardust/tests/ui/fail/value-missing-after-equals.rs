// `max_size = ` with nothing after it is a syntax error that still explains the expected form.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, max_size = )]
pub struct Chat;

fn main() {}
