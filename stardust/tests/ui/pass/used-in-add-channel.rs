// Derived channels register on a Bevy App through `add_channel`.
use bevy::prelude::*;
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, ordered)]
pub struct Chat;

#[derive(Channel)]
#[channel(unreliable, sequenced, max_size = 512)]
pub struct Movement;

fn main() {
    let mut app = App::new();
    app.add_channel::<Chat>().add_channel::<Movement>();
    let registry = app.world().resource::<ChannelRegistry>();
    assert_eq!(registry.len(), 2);
    assert_eq!(registry.id_of::<Chat>(), Some(Chat::ID));
    assert_eq!(registry.get(Movement::ID).map(|entry| entry.config.max_size), Some(512));
}
