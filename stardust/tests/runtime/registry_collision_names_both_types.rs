//! Two different channel types with the same id cannot both be registered: the panic
//! names both types and the fix. The same type registered twice is harmless.

use bevy::prelude::*;
use stardust::prelude::*;

use crate::support::panic_message;

#[derive(Channel)]
#[channel(reliable, ordered, id = 0x000042)]
struct Alpha;

#[derive(Channel)]
#[channel(unreliable, sequenced, id = 0x000042)]
struct Beta;

#[derive(Channel)]
#[channel(reliable, name = "same.name")]
struct NamedOne;

#[derive(Channel)]
#[channel(unreliable, name = "same.name")]
struct NamedTwo;

#[test]
fn explicit_id_collision_panics_naming_both_types_and_the_fix() {
    let message = panic_message(|| {
        App::new().add_channel::<Alpha>().add_channel::<Beta>();
    });
    assert!(message.contains("Alpha"), "{message}");
    assert!(message.contains("Beta"), "{message}");
    assert!(message.contains("0x000042"), "{message}");
    assert!(message.contains("id = ") && message.contains("name = "), "{message}");
}

#[test]
fn collision_is_detected_whatever_the_registration_order() {
    let message = panic_message(|| {
        App::new().add_channel::<Beta>().add_channel::<Alpha>();
    });
    assert!(message.contains("Alpha") && message.contains("Beta"), "{message}");
}

#[test]
fn two_types_with_the_same_name_collide() {
    let message = panic_message(|| {
        App::new().add_channel::<NamedOne>().add_channel::<NamedTwo>();
    });
    assert!(message.contains("NamedOne") && message.contains("NamedTwo"), "{message}");
}

#[test]
fn registering_the_same_type_twice_is_harmless() {
    let mut app = App::new();
    app.add_channel::<Alpha>();
    let hash_once = *app.world().resource::<ProtocolHash>();
    app.add_channel::<Alpha>();
    let registry = app.world().resource::<ChannelRegistry>();
    assert_eq!(registry.len(), 1);
    assert_eq!(registry.id_of::<Alpha>(), Some(Alpha::ID));
    assert_eq!(*app.world().resource::<ProtocolHash>(), hash_once);
}
