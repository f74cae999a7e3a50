// Keys spread over several #[channel] attributes (e.g. through cfg_attr) are merged.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable)]
#[cfg_attr(all(), channel(ordered, priority = 7))]
pub struct Chat;

fn main() {
    assert_eq!(Chat::CONFIG.reliability, Reliability::Reliable);
    assert_eq!(Chat::CONFIG.ordering, Ordering::Ordered);
    assert_eq!(Chat::CONFIG.priority, 7);
}
