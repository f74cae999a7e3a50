// A message type without serde's traits is refused where it is named, saying what to derive.
use stardust::prelude::*;

pub struct ChatLine {
    pub text: String,
}

#[derive(Channel)]
#[channel(reliable, ordered, message = ChatLine)]
pub struct Chat;

fn main() {}
