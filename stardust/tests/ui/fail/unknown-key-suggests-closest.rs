// A misspelled key is reported with the closest valid key, and no extra "missing reliability" error.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliabel, ordered)]
pub struct Chat;

fn main() {}
