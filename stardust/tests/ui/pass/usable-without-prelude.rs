// Generated code uses absolute paths only, so it compiles with nothing imported and with
// user items shadowing `core`, `Option` and the channel types.
#![no_implicit_prelude]

mod core {}
#[allow(dead_code)]
struct Option;
#[allow(dead_code)]
struct ChannelId;

#[derive(::stardust::channel::Channel)]
#[channel(reliable, ordered, id = 5)]
pub struct Chat;

fn main() {
    let id = <Chat as ::stardust::channel::Channel>::ID;
    ::std::assert_eq!(id.get(), 5);
}
