//! The bots: outgoing peers that chat, move and raise events, and check every reliable
//! message the listener sends them: their own chat lines echoed and events acknowledged, each
//! exactly once (chat in order), and every other bot's chat lines relayed in order, none
//! twice (that none is missing is checked across the bots at the end, see
//! [`report::relay_problems`](crate::report::relay_problems)).

use std::collections::HashMap;
use std::time::Duration;

use bevy::prelude::*;
use stardust::prelude::*;

use crate::channels::{self, CHAT_TEXT_MAX, Chat, ChatRelay, Events, Kind, Positions};
use crate::phase::{Clock, Phase};
use crate::traffic::Traffic;

/// Time between two chat lines of one bot.
const CHAT_EVERY: Duration = Duration::from_millis(200);
/// Time between two events of one bot.
const EVENT_EVERY: Duration = Duration::from_millis(100);

/// What bots say, in turn; `None` is a line of the longest size [`Chat`] takes, so every
/// run proves the relay carries it.
const LINES: [Option<&str>; 7] = [
    Some("gg"),
    Some("anyone near the north gate?"),
    Some("watch out, two on the left"),
    None,
    Some("need ammo"),
    Some("nice shot"),
    Some("regrouping at spawn"),
];
const EVENTS: [&str; 4] = ["picked_up_medkit", "opened_door", "scored", "respawned"];

/// The chat text bot `name` (numbered `index`) sends as its line `seq`: at most
/// [`CHAT_TEXT_MAX`] bytes, and exactly that for every seventh line.
pub fn chat_text(name: &str, index: u32, seq: u32) -> String {
    let line = LINES[(seq as usize + index as usize) % LINES.len()];
    let mut text = format!("{name} #{seq}: {}", line.unwrap_or("a long one"));
    if line.is_none() {
        text.extend(std::iter::repeat_n('.', CHAT_TEXT_MAX.saturating_sub(text.len())));
    }
    text.truncate(CHAT_TEXT_MAX);
    text
}

/// The chat lines heard from one other sender: the first sequence number heard and the
/// next one expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heard {
    /// The sender's sequence number of the first line heard from it.
    pub first: u32,
    /// The sequence number its next line must carry.
    pub next: u32,
}

impl Heard {
    /// Lines heard from this sender.
    pub fn count(&self) -> u32 {
        self.next - self.first
    }
}

/// One bot's script and its record of what came back. Lives on the bot's peer entity
/// (an outgoing connection).
#[derive(Component, Debug)]
pub struct Bot {
    /// Display name, `bot-NN`.
    pub name: String,
    index: u32,
    next_chat: Duration,
    next_event: Duration,
    /// Chat lines sent.
    pub chat_sent: u32,
    /// The listener's guest number for this bot, learned from its first echo.
    pub guest: Option<u16>,
    /// Own chat lines echoed back, in order.
    pub echoed: u32,
    /// Echoes that were out of order, never sent, or malformed.
    pub echo_errors: u32,
    /// Other senders' chat lines relayed to this bot, per sender guest number.
    pub heard: HashMap<u16, Heard>,
    /// Relayed lines that were out of order or duplicated, described (the first few).
    pub relay_errors: Vec<String>,
    /// Events sent.
    pub events_sent: u32,
    acked: Vec<bool>,
    /// Acknowledgements that were duplicated or for events never sent.
    pub ack_errors: u32,
}

/// Most relay errors a bot describes; the rest are counted in the last one.
const RELAY_ERRORS_LISTED: usize = 5;

impl Bot {
    /// The bot numbered `index`; its first sends are staggered so bots do not all send in
    /// the same frame.
    pub fn new(index: u32) -> Self {
        let stagger = Duration::from_millis(u64::from(index % 10) * 17);
        Bot {
            name: format!("bot-{index:02}"),
            index,
            next_chat: stagger,
            next_event: stagger,
            chat_sent: 0,
            guest: None,
            echoed: 0,
            echo_errors: 0,
            heard: HashMap::new(),
            relay_errors: Vec::new(),
            events_sent: 0,
            acked: Vec::new(),
            ack_errors: 0,
        }
    }

    /// Events acknowledged by the listener.
    pub fn acked(&self) -> usize {
        self.acked.iter().filter(|&&acked| acked).count()
    }

    /// Checks one [`ChatRelay`] message: an echo of this bot's next line, or the next line
    /// of another sender (its first one heard sets where that sender starts).
    pub fn on_relay(&mut self, bytes: &[u8]) {
        let Some(relayed) = channels::read_relay(bytes) else {
            self.echo_errors += 1;
            return;
        };
        if relayed.echo {
            let same_guest = *self.guest.get_or_insert(relayed.from) == relayed.from;
            if same_guest && relayed.seq == self.echoed && relayed.seq < self.chat_sent {
                self.echoed += 1;
            } else {
                self.echo_errors += 1;
            }
            return;
        }
        let seq = relayed.seq;
        let heard = self.heard.entry(relayed.from).or_insert(Heard { first: seq, next: seq });
        if seq == heard.next {
            heard.next += 1;
            return;
        }
        let expected = heard.next;
        if self.relay_errors.len() < RELAY_ERRORS_LISTED {
            let kind = if seq < expected { "again or late" } else { "early (lines missing)" };
            self.relay_errors.push(format!(
                "{}: guest-{:02}'s line #{seq} relayed {kind}, expected #{expected}",
                self.name, relayed.from
            ));
        }
        heard.next = heard.next.max(seq + 1);
    }

    /// What this bot is still missing or saw wrong; empty when every reliable message it
    /// sent came back exactly once (and chat in order) and every relayed line arrived in
    /// order, none twice.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.echoed != self.chat_sent {
            problems.push(format!(
                "{}: {} of {} chat lines came back",
                self.name, self.echoed, self.chat_sent
            ));
        }
        if self.echo_errors > 0 {
            problems.push(format!("{}: {} chat echoes out of order", self.name, self.echo_errors));
        }
        problems.extend(self.relay_errors.iter().cloned());
        let acked = self.acked();
        if acked != self.events_sent as usize {
            problems.push(format!(
                "{}: {} of {} events acknowledged",
                self.name, acked, self.events_sent
            ));
        }
        if self.ack_errors > 0 {
            problems.push(format!("{}: {} unexpected event acks", self.name, self.ack_errors));
        }
        problems
    }
}

/// In [`Phase::Play`], each bot sends a position every frame and a chat line and an event
/// when due.
pub fn bot_send(
    phase: Res<Phase>,
    clock: Res<Clock>,
    mut bots: Query<(Entity, &mut Bot, &mut Traffic, &PeerState)>,
    mut chat: ChannelWriter<Chat>,
    mut positions: ChannelWriter<Positions>,
    mut events: ChannelWriter<Events>,
) {
    if *phase != Phase::Play {
        return;
    }
    let now = clock.0;
    for (peer, mut bot, mut traffic, state) in &mut bots {
        if !state.is_connected() {
            continue;
        }
        let angle = now.as_secs_f32() * 0.8 + bot.index as f32;
        let radius = 10.0 + bot.index as f32;
        let (x, y) = (radius * angle.cos(), radius * angle.sin());
        if positions.send(peer, channels::position(x, y)).is_ok() {
            traffic.sent(Kind::Positions);
        }
        if now >= bot.next_chat {
            bot.next_chat += CHAT_EVERY;
            let seq = bot.chat_sent;
            let text = chat_text(&bot.name, bot.index, seq);
            if chat.send(peer, channels::bot_chat(seq, &text)).is_ok() {
                bot.chat_sent += 1;
                traffic.sent(Kind::Chat);
            }
        }
        if now >= bot.next_event {
            bot.next_event += EVENT_EVERY;
            let seq = bot.events_sent;
            let name = EVENTS[seq as usize % EVENTS.len()];
            if events.send(peer, channels::bot_event(seq, name)).is_ok() {
                bot.events_sent += 1;
                bot.acked.push(false);
                traffic.sent(Kind::Events);
            }
        }
    }
}

/// Each bot counts what the listener sent it and checks its echoes and acknowledgements.
pub fn bot_receive(
    chat: ChannelReader<ChatRelay>,
    positions: ChannelReader<Positions>,
    events: ChannelReader<Events>,
    mut bots: Query<(&mut Bot, &mut Traffic)>,
) {
    for (peer, bytes) in chat.read() {
        let Ok((mut bot, mut traffic)) = bots.get_mut(peer) else { continue };
        traffic.received(Kind::Chat);
        bot.on_relay(bytes);
    }
    for (peer, _) in positions.read() {
        if let Ok((_, mut traffic)) = bots.get_mut(peer) {
            traffic.received(Kind::Positions);
        }
    }
    for (peer, bytes) in events.read() {
        let Ok((mut bot, mut traffic)) = bots.get_mut(peer) else { continue };
        traffic.received(Kind::Events);
        let slot = channels::read_u32(bytes, 0).and_then(|seq| bot.acked.get_mut(seq as usize));
        match slot {
            Some(acked) if !*acked => *acked = true,
            _ => bot.ack_errors += 1,
        }
    }
}
