// `message` alone names no type.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, message)]
pub struct Chat;

fn main() {}
