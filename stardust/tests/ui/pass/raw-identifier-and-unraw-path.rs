// A raw identifier type name hashes as the name without `r#`, like `module_path!()` spells it.
#![allow(non_camel_case_types)]
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable)]
pub struct r#match;

fn main() {
    assert_eq!(r#match::ID, ChannelId::from_name(concat!(module_path!(), "::match")));
}
