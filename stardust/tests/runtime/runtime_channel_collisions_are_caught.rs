//! A runtime channel collides with a derived channel or another runtime channel of the same
//! id exactly as two derived channels do: the App-building methods panic naming both, the
//! fallible ones return the error and change nothing. An invalid config is refused with what
//! is wrong. The same runtime channel added twice is harmless.

use bevy::prelude::*;
use stardust::channel::InvalidConfig;
use stardust::prelude::*;

use crate::support::panic_message;

#[derive(Channel)]
#[channel(reliable, ordered, id = 0x000042)]
struct Derived;

#[derive(Channel)]
#[channel(unreliable, sequenced, name = "test.named")]
struct DerivedNamed;

fn id(value: u32) -> ChannelId {
    ChannelId::new(value).unwrap()
}

fn reliable() -> ChannelConfig {
    ChannelConfig::new(Reliability::Reliable, Ordering::Ordered)
}

#[test]
fn runtime_after_derived_is_refused_naming_both() {
    let mut app = App::new();
    app.add_channel::<Derived>();
    let hash = *app.world().resource::<ProtocolHash>();
    let error = app.try_add_channel_by_id(id(0x42), reliable()).map(|_| ()).unwrap_err();
    let expected = RuntimeChannelError::Collision {
        id: id(0x42),
        new: "runtime channel",
        existing: std::any::type_name::<Derived>(),
    };
    assert_eq!(error, expected);
    let text = error.to_string();
    assert!(text.contains("Derived") && text.contains("runtime channel"), "{text}");
    assert!(text.contains("0x000042"), "{text}");
    assert_eq!(app.world().resource::<ChannelRegistry>().len(), 1, "nothing registered");
    assert_eq!(*app.world().resource::<ProtocolHash>(), hash, "hash unchanged");

    let message = panic_message(|| {
        App::new().add_channel::<Derived>().add_channel_by_id(id(0x42), reliable());
    });
    assert!(message.contains("Derived") && message.contains("runtime channel"), "{message}");
}

#[test]
fn derived_after_runtime_panics_naming_both() {
    let message = panic_message(|| {
        App::new().add_channel_by_id(id(0x42), reliable()).add_channel::<Derived>();
    });
    assert!(message.contains("Derived") && message.contains("runtime channel"), "{message}");
    assert!(message.contains("0x000042"), "{message}");
}

#[test]
fn a_name_collides_with_the_derived_channel_of_that_name() {
    let mut app = App::new();
    app.add_channel::<DerivedNamed>();
    let config = ChannelConfig::new(Reliability::Unreliable, Ordering::Sequenced);
    let error = app.try_add_channel_by_name("test.named", config).unwrap_err();
    assert_eq!(
        error,
        RuntimeChannelError::Collision {
            id: ChannelId::from_name("test.named"),
            new: "test.named",
            existing: std::any::type_name::<DerivedNamed>(),
        }
    );
}

#[test]
fn two_runtime_channels_with_one_id_collide() {
    let mut app = App::new();
    app.add_channel_by_id(id(7), reliable());
    // The same id with another config, or as a named channel: a collision.
    let sequenced = ChannelConfig::new(Reliability::Unreliable, Ordering::Sequenced);
    let error = app.try_add_channel_by_id(id(7), sequenced).map(|_| ()).unwrap_err();
    assert!(matches!(error, RuntimeChannelError::Collision { .. }), "{error}");
    let message = panic_message(|| {
        App::new()
            .add_channel_by_name("one", reliable())
            .add_channel_by_id(ChannelId::from_name("one"), reliable());
    });
    assert!(message.contains("`one`") && message.contains("`runtime channel`"), "{message}");

    // The very same runtime channel again: harmless.
    let hash = *app.world().resource::<ProtocolHash>();
    app.add_channel_by_id(id(7), reliable());
    assert_eq!(app.world().resource::<ChannelRegistry>().len(), 1);
    assert_eq!(*app.world().resource::<ProtocolHash>(), hash);
    assert!(app.world().resource::<ChannelRegistry>().get(id(7)).unwrap().is_runtime());
}

#[test]
fn invalid_configs_are_refused_with_the_problem() {
    let cases = [
        (reliable().with_max_size(0), InvalidConfig::ZeroMaxSize),
        (
            reliable().with_max_size(ChannelConfig::MAX_SIZE_LIMIT + 1),
            InvalidConfig::MaxSizeTooLarge(ChannelConfig::MAX_SIZE_LIMIT + 1),
        ),
        (
            ChannelConfig::new(Reliability::Unreliable, Ordering::Ordered),
            InvalidConfig::UnreliableOrdered,
        ),
    ];
    for (config, problem) in cases {
        let mut app = App::new();
        let error = app.try_add_channel_by_id(id(9), config).map(|_| ()).unwrap_err();
        let expected =
            RuntimeChannelError::InvalidConfig { id: id(9), name: "runtime channel", problem };
        assert_eq!(error, expected);
        assert!(error.to_string().contains(&problem.to_string()), "{error}");
        assert!(app.world().get_resource::<ChannelRegistry>().is_none_or(|r| r.is_empty()));
    }
    let message = panic_message(|| {
        App::new().add_channel_by_name("bad", reliable().with_max_size(0));
    });
    assert!(message.contains("invalid config") && message.contains("max_size"), "{message}");
}
