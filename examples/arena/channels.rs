//! The arena's four channels and the byte layout of what travels on them.
//!
//! Every message starts with fixed-size big-endian fields, so both sides can check what
//! arrived without a serialization crate.

use bevy::prelude::*;
use stardust::prelude::*;

/// Chat lines a bot sends: every one arrives, in the order sent.
///
/// Bot → listener: `seq: u32` then the text; at most 509 bytes in all, so that the listener's
/// relay (this message behind a [`RELAY_ENVELOPE`]) fits into [`ChatRelay`]'s 512.
#[derive(Channel)]
#[channel(reliable, ordered, max_size = 509, id = 0x00A001)]
pub struct Chat;

/// Chat lines the listener relays: every one arrives, in the order relayed.
///
/// Listener → bot: `echo: u8` (1 when the line is the bot's own, sent back so the bot can
/// check that nothing went missing), `from: u16` (the sender's guest number), then the
/// sender's [`Chat`] message as it arrived (`seq: u32`, text).
#[derive(Channel)]
#[channel(reliable, ordered, max_size = 512, id = 0x00A004)]
pub struct ChatRelay;

/// Bytes the relay puts in front of a [`Chat`] message: `echo: u8, from: u16`.
pub const RELAY_ENVELOPE: usize = 3;

/// Longest text of a bot's chat line: [`Chat`]'s limit less the `seq: u32` in front.
pub const CHAT_TEXT_MAX: usize = Chat::CONFIG.max_size as usize - 4;

// Every chat line the listener accepts fits into its relay: none is acknowledged and then
// dropped.
const _: () =
    assert!(Chat::CONFIG.max_size as usize + RELAY_ENVELOPE <= ChatRelay::CONFIG.max_size as usize);

/// Positions: only the newest matters.
///
/// Bot → listener: `x: f32, y: f32`. Listener → bot: a snapshot, `count: u16` then `count`
/// times `(guest: u16, x: f32, y: f32)`.
#[derive(Channel)]
#[channel(unreliable, sequenced, max_size = 1024, priority = 200, id = 0x00A002)]
pub struct Positions;

/// Game events: every one arrives, in any order.
///
/// Bot → listener: `seq: u32` then the event's name. Listener → bot: `seq: u32`, the
/// acknowledgement of that event.
#[derive(Channel)]
#[channel(reliable, unordered, max_size = 256, id = 0x00A003)]
pub struct Events;

/// Which channel a counter is about; indexes the arrays of [`Traffic`](crate::traffic::Traffic).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// [`Chat`] from a bot, [`ChatRelay`] from the listener.
    Chat = 0,
    /// [`Positions`].
    Positions = 1,
    /// [`Events`].
    Events = 2,
}

/// Most guests one position snapshot carries (10 bytes each, under `Positions`' max size).
pub const SNAPSHOT_MAX: usize = 100;

/// Registers the channels and the arena's protocol version on `app`: a listener and bots
/// connect only if both match.
pub fn add_arena_channels(app: &mut App) {
    app.add_channel::<Chat>()
        .add_channel::<ChatRelay>()
        .add_channel::<Positions>()
        .add_channel::<Events>()
        .add_protocol_value("arena.version", "2");
}

/// Reads a big-endian `u32` at `at`, or `None` if `bytes` is too short.
pub fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let field = bytes.get(at..at + 4)?;
    Some(u32::from_be_bytes(field.try_into().ok()?))
}

/// Encodes a bot's chat line.
pub fn bot_chat(seq: u32, text: &str) -> Vec<u8> {
    let mut out = seq.to_be_bytes().to_vec();
    out.extend_from_slice(text.as_bytes());
    out
}

/// Encodes the listener's relay of `message`, a [`Chat`] message from guest number `from`;
/// `echo` when it goes back to its sender. [`RELAY_ENVELOPE`] bytes longer than `message`.
pub fn relayed_chat(echo: bool, from: u16, message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(RELAY_ENVELOPE + message.len());
    out.push(u8::from(echo));
    out.extend_from_slice(&from.to_be_bytes());
    out.extend_from_slice(message);
    out
}

/// A relayed chat line's header, as [`read_relay`] decodes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relayed {
    /// The line is the reader's own, sent back.
    pub echo: bool,
    /// The sender's guest number.
    pub from: u16,
    /// The sender's sequence number for the line.
    pub seq: u32,
}

/// Decodes a [`ChatRelay`] message's header, or `None` if malformed.
pub fn read_relay(bytes: &[u8]) -> Option<Relayed> {
    let echo = match *bytes.first()? {
        0 => false,
        1 => true,
        _ => return None,
    };
    let from = u16::from_be_bytes(bytes.get(1..3)?.try_into().ok()?);
    let seq = read_u32(bytes, RELAY_ENVELOPE)?;
    Some(Relayed { echo, from, seq })
}

/// Encodes a bot's event.
pub fn bot_event(seq: u32, name: &str) -> Vec<u8> {
    bot_chat(seq, name)
}

/// Encodes a position.
pub fn position(x: f32, y: f32) -> Vec<u8> {
    let mut out = x.to_be_bytes().to_vec();
    out.extend_from_slice(&y.to_be_bytes());
    out
}

/// Decodes a position, or `None` if malformed.
pub fn read_position(bytes: &[u8]) -> Option<(f32, f32)> {
    let x = f32::from_bits(read_u32(bytes, 0)?);
    let y = f32::from_bits(read_u32(bytes, 4)?);
    Some((x, y))
}

/// Encodes a snapshot of `(guest, x, y)` entries; callers keep it to [`SNAPSHOT_MAX`].
pub fn snapshot(entries: &[(u16, f32, f32)]) -> Vec<u8> {
    let count = u16::try_from(entries.len()).unwrap_or(u16::MAX);
    let mut out = count.to_be_bytes().to_vec();
    for (guest, x, y) in entries.iter().take(usize::from(count)) {
        out.extend_from_slice(&guest.to_be_bytes());
        out.extend_from_slice(&position(*x, *y));
    }
    out
}
