// A typed channel's writer takes `&T`: bytes or another type are refused at the call.
use bevy::prelude::*;
use stardust::prelude::*;

#[derive(serde::Serialize, serde::Deserialize)]
pub struct ChatLine {
    pub text: String,
}

#[derive(Channel)]
#[channel(reliable, ordered, message = ChatLine)]
pub struct Chat;

fn send(mut chat: ChannelWriter<Chat>) {
    let _ = chat.broadcast(b"hello".as_slice());
}

fn main() {
    App::new().add_plugins(StardustPlugin).add_channel::<Chat>().add_systems(Update, send);
}
