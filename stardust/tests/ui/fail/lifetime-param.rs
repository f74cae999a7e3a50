// Lifetime parameters are generic parameters too, and are rejected like type parameters.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable)]
pub struct Chat<'a>(&'a str);

fn main() {}
