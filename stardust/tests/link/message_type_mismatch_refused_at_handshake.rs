//! Two builds that declare the same channel (id and config) with different message types
//! never connect: the message type is in the protocol hash, so both sides disconnect with
//! `ProtocolMismatch` and no message is ever decoded as the wrong type.

// Written like game code: Bevy system params without `'_` lifetimes.

use crate::support::{MAX_FRAMES, step};
use bevy::prelude::*;
use serde::{Deserialize, Serialize};
use stardust::prelude::*;

mod old_build {
    use super::*;

    #[derive(Serialize, Deserialize)]
    pub struct ChatLine {
        pub text: String,
    }

    #[derive(Channel)]
    #[channel(reliable, ordered, id = 0x000D01, message = ChatLine)]
    pub struct Chat;
}

mod new_build {
    use super::*;

    #[derive(Serialize, Deserialize)]
    pub struct ChatLineV2 {
        pub text: String,
        pub team: u8,
    }

    #[derive(Channel)]
    #[channel(reliable, ordered, id = 0x000D01, message = ChatLineV2)]
    pub struct Chat;
}

#[derive(Resource, Default)]
struct Seen(Vec<DisconnectReason>);

fn app_with<C: Channel>() -> App {
    let mut app = App::new();
    app.add_plugins((StardustPlugin, LinkPlugin)).add_channel::<C>().init_resource::<Seen>();
    app.add_systems(
        Update,
        |mut messages: MessageReader<PeerDisconnected>, mut seen: ResMut<Seen>| {
            seen.0.extend(messages.read().map(|message| message.reason.clone()));
        },
    );
    app
}

#[test]
fn message_type_mismatch_is_refused_at_the_handshake() {
    let mut old = app_with::<old_build::Chat>();
    let mut new = app_with::<new_build::Chat>();
    assert_eq!(old_build::Chat::ID, new_build::Chat::ID);
    assert_eq!(old_build::Chat::CONFIG, new_build::Chat::CONFIG);
    let old_hash = old.world().resource::<ProtocolHash>().0;
    let new_hash = new.world().resource::<ProtocolHash>().0;
    assert_ne!(old_hash, new_hash);

    let (new_on_old, old_on_new) = stardust::link::connect(&mut old, &mut new);
    for _ in 0..MAX_FRAMES {
        step(&mut [&mut old, &mut new]);
    }

    let mismatch = DisconnectReason::ProtocolMismatch { local: old_hash, remote: new_hash };
    assert_eq!(old.world().resource::<Seen>().0, vec![mismatch]);
    let mismatch = DisconnectReason::ProtocolMismatch { local: new_hash, remote: old_hash };
    assert_eq!(new.world().resource::<Seen>().0, vec![mismatch]);
    for (app, peer) in [(&old, new_on_old), (&new, old_on_new)] {
        let connected = app.world().get::<PeerState>(peer).is_some_and(PeerState::is_connected);
        assert!(!connected, "a mismatched peer never counts as connected");
    }
}
