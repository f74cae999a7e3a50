//! Each bot checks every chat line the listener relays: its own echoed in order, every other
//! sender's in order and none twice, and across the bots of a run that each heard every line
//! each other bot sent. Anything else is a problem listed at the end (and the exit code 1).

use bevy::prelude::*;

use crate::bot::Bot;
use crate::channels::{bot_chat, relayed_chat};
use crate::report::relay_problems;

fn relay(bot: &mut Bot, echo: bool, from: u16, seq: u32) {
    bot.on_relay(&relayed_chat(echo, from, &bot_chat(seq, "hi")));
}

#[test]
fn lines_in_order_from_every_sender_are_no_problem() {
    let mut bot = Bot::new(1);
    bot.chat_sent = 2;
    for seq in 0..2 {
        relay(&mut bot, true, 4, seq);
        relay(&mut bot, false, 7, seq);
        relay(&mut bot, false, 9, seq + 10);
    }
    assert_eq!(bot.guest, Some(4));
    assert_eq!((bot.heard[&7].count(), bot.heard[&9].first), (2, 10));
    assert!(bot.problems().is_empty(), "{:?}", bot.problems());
}

#[test]
fn a_duplicated_or_skipped_relayed_line_is_a_problem() {
    let mut bot = Bot::new(1);
    for seq in [0, 1, 1, 3] {
        relay(&mut bot, false, 7, seq);
    }
    let problems = bot.problems();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("#1 relayed again or late, expected #2"), "{problems:?}");
    assert!(problems[1].contains("#3 relayed early (lines missing), expected #2"), "{problems:?}");
}

#[test]
fn an_echo_from_another_guest_number_or_malformed_is_a_problem() {
    let mut bot = Bot::new(1);
    bot.chat_sent = 2;
    relay(&mut bot, true, 4, 0);
    relay(&mut bot, true, 5, 1);
    bot.on_relay(&[1, 0]);
    assert_eq!((bot.echoed, bot.echo_errors), (1, 2));
    assert!(!bot.problems().is_empty());
}

#[test]
fn a_line_one_bot_never_heard_from_another_is_a_problem() {
    let mut world = World::new();
    let mut talker = Bot::new(1);
    talker.chat_sent = 3;
    for seq in 0..3 {
        relay(&mut talker, true, 11, seq);
    }
    let mut complete = Bot::new(2);
    let mut short = Bot::new(3);
    for seq in 0..3 {
        relay(&mut complete, false, 11, seq);
    }
    for seq in 1..3 {
        relay(&mut short, false, 11, seq);
    }
    world.spawn(talker);
    world.spawn(complete);
    world.spawn(short);
    let problems = relay_problems(&mut world);
    assert_eq!(problems, vec!["bot-03: heard 2 of bot-01's 3 chat lines (from #1)".to_string()]);
}
