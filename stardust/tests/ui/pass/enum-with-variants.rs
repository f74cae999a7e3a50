// An enum with variants (with and without data) is a valid channel type.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, ordered)]
pub enum Events {
    Joined,
    Left { reason: String },
    Scored(u32),
}

fn main() {
    assert_eq!(Events::CONFIG.ordering, Ordering::Ordered);
    let _ = (Events::Joined, Events::Left { reason: String::new() }, Events::Scored(1));
}
