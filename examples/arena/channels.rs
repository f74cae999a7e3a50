//! The arena's three channels and the byte layout of what travels on them.
//!
//! Every message starts with fixed-size big-endian fields, so both sides can check what
//! arrived without a serialization crate.

use bevy::prelude::*;
use stardust::prelude::*;

/// Chat lines: every one arrives, in the order sent.
///
/// Bot → listener: `seq: u32` then the text. Listener → bot: `echo: u8` (1 when the line is
/// the bot's own, sent back so the bot can check that nothing went missing), `seq: u32` (the
/// sender's), then the text.
#[derive(Channel)]
#[channel(reliable, ordered, max_size = 512, id = 0x00A001)]
pub struct Chat;

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
    /// [`Chat`].
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
        .add_channel::<Positions>()
        .add_channel::<Events>()
        .add_protocol_value("arena.version", "1");
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

/// Encodes the listener's relay of a chat line; `echo` when it goes back to its sender.
pub fn relayed_chat(echo: bool, seq: u32, text: &[u8]) -> Vec<u8> {
    let mut out = vec![u8::from(echo)];
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(text);
    out
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
