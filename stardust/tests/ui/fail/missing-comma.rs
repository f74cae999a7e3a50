// A syntax error inside #[channel(...)] points at the token after which a comma is missing.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable ordered)]
pub struct Chat;

fn main() {}
