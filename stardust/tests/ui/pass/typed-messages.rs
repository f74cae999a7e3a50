// `message = T` accepts any owned serde type, written as a path, a generic or a tuple; the
// writer sends `&T`, the reader yields `T`, and the type name enters MESSAGE_TYPE.
use bevy::prelude::*;
use stardust::prelude::*;

mod game {
    #[derive(serde::Serialize, serde::Deserialize)]
    pub struct ChatLine {
        pub text: String,
    }
}

#[derive(Channel)]
#[channel(reliable, ordered, message = game::ChatLine)]
pub struct Chat;

#[derive(Channel)]
#[channel(unreliable, sequenced, message = (u32, [f32; 3]))]
pub struct Positions;

#[derive(Channel)]
#[channel(unreliable, message = Vec<u8>, max_size = 64)]
pub struct Samples;

fn send(mut chat: ChannelWriter<Chat>, mut positions: ChannelWriter<Positions>) {
    let _ = chat.broadcast(&game::ChatLine { text: "hi".into() });
    let _ = positions.broadcast(&(1, [0.0; 3]));
}

fn read(chat: ChannelReader<Chat>, samples: ChannelReader<Samples>) {
    for (_peer, line) in chat.read() {
        let _: game::ChatLine = line;
    }
    for (_peer, bytes) in samples.read() {
        let _: Vec<u8> = bytes;
    }
}

fn main() {
    assert_eq!(Chat::MESSAGE_TYPE, Some("game::ChatLine"));
    assert_eq!(Positions::MESSAGE_TYPE, Some("(u32,[f32;3])"));
    assert_eq!(Samples::MESSAGE_TYPE, Some("Vec<u8>"));
    App::new()
        .add_plugins(StardustPlugin)
        .add_channel::<Chat>()
        .add_channel::<Positions>()
        .add_channel::<Samples>()
        .add_systems(Update, (send, read));
}
