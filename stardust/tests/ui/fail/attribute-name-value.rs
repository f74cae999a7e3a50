// `#[channel = "..."]` is not the attribute's form; the error shows the parenthesised one.
use stardust::prelude::*;

#[derive(Channel)]
#[channel = "reliable"]
pub struct Chat;

fn main() {}
