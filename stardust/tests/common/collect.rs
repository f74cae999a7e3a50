//! What an App's channel readers saw, shared by `runtime_support` (link tests) and
//! `udp_support` (UDP tests), which re-export it: include one of those, not this file.

use bevy::prelude::*;
use stardust::channel::Raw;
use stardust::prelude::*;

/// Every message a reader of channel `C` saw, as `(peer, payload)`, in reading order.
#[derive(Resource)]
pub struct Received<C> {
    pub messages: Vec<(Entity, Vec<u8>)>,
    _channel: core::marker::PhantomData<fn() -> C>,
}

impl<C> Default for Received<C> {
    fn default() -> Self {
        Received { messages: Vec::new(), _channel: core::marker::PhantomData }
    }
}

/// Adds a reader of `C` in `Update` that appends to [`Received<C>`].
pub fn collect<C: Channel<Message = Raw>>(app: &mut App) {
    app.init_resource::<Received<C>>();
    app.add_systems(Update, |reader: ChannelReader<C>, mut received: ResMut<Received<C>>| {
        for (peer, payload) in reader.read() {
            received.messages.push((peer, payload.to_vec()));
        }
    });
}
