//! The listener relays every chat line it accepted: the longest message `Chat` takes, behind
//! the relay's envelope, still fits into `ChatRelay`, and the bots' own longest line is exactly
//! that long (so every arena run, see `arena.rs`, carries one through the relay).

use stardust::prelude::*;

use crate::bot::chat_text;
use crate::channels::{
    CHAT_TEXT_MAX, Chat, ChatRelay, RELAY_ENVELOPE, Relayed, bot_chat, read_relay, relayed_chat,
};

#[test]
fn the_longest_accepted_line_fits_into_the_relay() {
    let longest = vec![b'x'; Chat::CONFIG.max_size as usize];
    let relayed = relayed_chat(false, u16::MAX, &longest);
    assert_eq!(relayed.len(), longest.len() + RELAY_ENVELOPE);
    assert!(relayed.len() <= ChatRelay::CONFIG.max_size as usize, "{} bytes", relayed.len());
}

#[test]
fn bots_send_lines_up_to_the_channel_limit_and_no_more() {
    let sizes: Vec<usize> =
        (0..14).map(|seq| bot_chat(seq, &chat_text("bot-07", 7, seq)).len()).collect();
    let max = Chat::CONFIG.max_size as usize;
    assert!(sizes.iter().all(|&size| size <= max), "{sizes:?}");
    assert_eq!(sizes.iter().filter(|&&size| size == max).count(), 2, "{sizes:?}");
    assert_eq!(CHAT_TEXT_MAX + 4, max);
}

#[test]
fn a_relayed_line_reads_back_its_sender_and_number() {
    let message = bot_chat(41, "bot-03 #41: gg");
    let relayed = relayed_chat(true, 9, &message);
    assert_eq!(read_relay(&relayed), Some(Relayed { echo: true, from: 9, seq: 41 }));
    assert_eq!(&relayed[RELAY_ENVELOPE..], &message[..]);
    assert_eq!(read_relay(&relayed[..RELAY_ENVELOPE + 3]), None, "truncated");
    assert_eq!(read_relay(&[2, 0, 9, 0, 0, 0, 41]), None, "bad echo flag");
}
