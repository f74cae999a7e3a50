// A bare #[channel] with no parenthesised keys is reported once, without a second "missing" error.
use stardust::prelude::*;

#[derive(Channel)]
#[channel]
pub struct Chat;

fn main() {}
