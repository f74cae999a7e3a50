//! The registry answers both questions a transport and a game ask: which channel is
//! this id, and which id is this type; iteration is in id order whatever the
//! registration order.

use bevy::prelude::*;
use stardust::channel::ChannelEntry;
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, ordered, id = 3)]
struct Chat;

#[derive(Channel)]
#[channel(unreliable, sequenced, max_size = 512, priority = 7, id = 1)]
struct Movement;

#[derive(Channel)]
#[channel(reliable, unordered, id = 2)]
enum Events {}

#[test]
fn id_and_type_lookups_agree() {
    let mut app = App::new();
    app.add_channel::<Chat>().add_channel::<Movement>().add_channel::<Events>();
    let registry = app.world().resource::<ChannelRegistry>();

    let entry = registry.get(Movement::ID).expect("Movement registered");
    assert_eq!(entry.config, Movement::CONFIG);
    assert!(entry.type_name.ends_with("Movement"), "{}", entry.type_name);
    assert_eq!(registry.id_of::<Chat>(), Some(ChannelId::new(3).unwrap()));
    assert!(registry.contains::<Events>());
    assert!(registry.get(ChannelId::new(99).unwrap()).is_none());
}

#[test]
fn iteration_is_in_id_order_whatever_the_registration_order() {
    let mut forward = App::new();
    forward.add_channel::<Chat>().add_channel::<Movement>().add_channel::<Events>();
    let mut backward = App::new();
    backward.add_channel::<Events>().add_channel::<Movement>().add_channel::<Chat>();

    let ids = |app: &App| -> Vec<u32> {
        app.world()
            .resource::<ChannelRegistry>()
            .iter()
            .map(|e: &ChannelEntry| e.id.get())
            .collect()
    };
    assert_eq!(ids(&forward), vec![1, 2, 3]);
    assert_eq!(ids(&backward), vec![1, 2, 3]);
}

#[test]
fn an_unregistered_type_is_not_found() {
    let mut app = App::new();
    app.add_channel::<Chat>();
    let registry = app.world().resource::<ChannelRegistry>();
    assert_eq!(registry.id_of::<Movement>(), None);
    assert!(!registry.contains::<Movement>());
}
