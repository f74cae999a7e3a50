// `reliable = true`: flags take no value, and the error shows the plain spelling.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable = true, ordered)]
pub struct Chat;

fn main() {}
