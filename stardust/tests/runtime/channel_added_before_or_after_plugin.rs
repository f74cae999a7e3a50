//! Channels work whether `add_channel` is called before or after `StardustPlugin` is added,
//! and registering a channel twice installs it once.

// Written like game code: Bevy system params without `'_` lifetimes.

use crate::support::{Chat, MAX_FRAMES, Received, collect, run_once, step};
use bevy::prelude::*;
use stardust::prelude::*;

#[test]
fn channels_added_before_or_after_the_plugin_both_work() {
    let mut early = App::new();
    early.add_channel::<Chat>().add_channel::<Chat>();
    early.add_plugins((StardustPlugin, LinkPlugin));
    collect::<Chat>(&mut early);

    let mut late = App::new();
    late.add_plugins((StardustPlugin, LinkPlugin));
    late.add_channel::<Chat>();
    collect::<Chat>(&mut late);

    assert_eq!(early.world().resource::<ProtocolHash>(), late.world().resource::<ProtocolHash>());
    let (late_on_early, early_on_late) = crate::support::connect(&mut early, &mut late);
    run_once(&mut early, move |mut chat: ChannelWriter<Chat>| {
        chat.send(late_on_early, b"to late".as_slice()).unwrap();
    });
    run_once(&mut late, move |mut chat: ChannelWriter<Chat>| {
        chat.send(early_on_late, b"to early".as_slice()).unwrap();
    });
    for _ in 0..MAX_FRAMES {
        step(&mut [&mut early, &mut late]);
    }

    let at_late = &late.world().resource::<Received<Chat>>().messages;
    assert_eq!(at_late, &vec![(early_on_late, b"to late".to_vec())]);
    let at_early = &early.world().resource::<Received<Chat>>().messages;
    assert_eq!(at_early, &vec![(late_on_early, b"to early".to_vec())], "delivered once");
}
