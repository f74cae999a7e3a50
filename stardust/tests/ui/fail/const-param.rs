// Const generic parameters are rejected like type parameters: `Lane<0>` and `Lane<1>` would share one id.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable)]
pub struct Lane<const N: usize>;

fn main() {}
