// A message type written as a string literal is refused, with the fix: write the type itself.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, message = "ChatLine")]
pub struct Chat;

fn main() {}
