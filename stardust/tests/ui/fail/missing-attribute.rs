// #[derive(Channel)] without any #[channel(...)] attribute has no delivery contract.
use stardust::prelude::*;

#[derive(Channel)]
pub struct Chat;

fn main() {}
