// A key given twice is an error, not "last one wins".
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, priority = 10, priority = 20)]
pub struct Chat;

fn main() {}
