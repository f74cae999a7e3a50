// Structs with named or tuple fields are valid channel types, not only unit markers.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(unreliable, sequenced)]
pub struct Movement {
    pub x: f32,
    pub y: f32,
}

#[derive(Channel)]
#[channel(reliable)]
pub struct Tagged(pub u64);

fn main() {
    assert_eq!(Movement::CONFIG.ordering, Ordering::Sequenced);
    assert_eq!(Tagged::CONFIG.ordering, Ordering::Unordered);
    assert_ne!(Movement::ID, Tagged::ID);
    let _ = (Movement { x: 0.0, y: 0.0 }.x, Tagged(0).0);
}
