//! Typed channels shared by the `typed_*` tests: one per delivery kind, each carrying a
//! serde type, and a collector of what their readers decoded.

use bevy::prelude::*;
use serde::{Deserialize, Serialize};
use stardust::prelude::*;

/// A chat line: a struct with a heap field.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Line {
    pub from: u32,
    pub text: String,
}

/// A game input: an enum, so variants travel too.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub enum Input {
    Move { x: f32, y: f32 },
    Jump,
    Say(String),
}

#[derive(Channel)]
#[channel(reliable, ordered, id = 0x000B01, message = Line)]
pub struct TypedOrdered;

#[derive(Channel)]
#[channel(reliable, unordered, id = 0x000B02, message = Input)]
pub struct TypedUnordered;

#[derive(Channel)]
#[channel(unreliable, sequenced, id = 0x000B03, max_size = 64, message = (u32, [f32; 3]))]
pub struct TypedSequenced;

#[derive(Channel)]
#[channel(unreliable, unordered, id = 0x000B04, message = Vec<u16>)]
pub struct TypedUnreliable;

/// Everything a reader of typed channel `C` decoded, in reading order.
#[derive(Resource)]
pub struct Decoded<C: Channel> {
    pub messages: Vec<(Entity, C::Message)>,
}

impl<C: Channel> Default for Decoded<C> {
    fn default() -> Self {
        Decoded { messages: Vec::new() }
    }
}

/// Adds a reader of typed channel `C` in `Update` that appends to [`Decoded<C>`].
pub fn decode_into<C, M>(app: &mut App)
where
    C: Channel<Message = M>,
    M: for<'a> stardust::channel::ChannelMessage<Read<'a> = M>,
{
    app.init_resource::<Decoded<C>>();
    app.add_systems(Update, |reader: ChannelReader<C>, mut decoded: ResMut<Decoded<C>>| {
        decoded.messages.extend(reader.read());
    });
}

/// An App with the runtime, the link transport and the four typed channels, each decoded
/// into a [`Decoded`] resource.
pub fn typed_app() -> App {
    let mut app = App::new();
    app.add_plugins((StardustPlugin, LinkPlugin));
    app.add_channel::<TypedOrdered>()
        .add_channel::<TypedUnordered>()
        .add_channel::<TypedSequenced>()
        .add_channel::<TypedUnreliable>();
    decode_into::<TypedOrdered, _>(&mut app);
    decode_into::<TypedUnordered, _>(&mut app);
    decode_into::<TypedSequenced, _>(&mut app);
    decode_into::<TypedUnreliable, _>(&mut app);
    app
}
