// `id = SOME_CONST` cannot be range-checked by the derive, so only literals are accepted.
use stardust::prelude::*;

const CHAT_ID: u32 = 5;

#[derive(Channel)]
#[channel(reliable, id = CHAT_ID)]
pub struct Chat;

fn main() {
    let _ = CHAT_ID;
}
