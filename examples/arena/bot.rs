//! The bots: outgoing peers that chat, move and raise events, and check that every reliable
//! message they sent came back from the listener (chat echoed, events acknowledged).

use std::time::Duration;

use bevy::prelude::*;
use stardust::prelude::*;

use crate::channels::{self, Chat, Events, Kind, Positions};
use crate::phase::{Clock, Phase};
use crate::traffic::Traffic;

/// Time between two chat lines of one bot.
const CHAT_EVERY: Duration = Duration::from_millis(200);
/// Time between two events of one bot.
const EVENT_EVERY: Duration = Duration::from_millis(100);

const LINES: [&str; 6] = [
    "gg",
    "anyone near the north gate?",
    "watch out, two on the left",
    "need ammo",
    "nice shot",
    "regrouping at spawn",
];
const EVENTS: [&str; 4] = ["picked_up_medkit", "opened_door", "scored", "respawned"];

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
    /// Own chat lines echoed back, in order.
    pub echoed: u32,
    /// Echoes that were out of order or never sent.
    pub echo_errors: u32,
    /// Other bots' chat lines relayed to this bot.
    pub heard: u64,
    /// Events sent.
    pub events_sent: u32,
    acked: Vec<bool>,
    /// Acknowledgements that were duplicated or for events never sent.
    pub ack_errors: u32,
}

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
            echoed: 0,
            echo_errors: 0,
            heard: 0,
            events_sent: 0,
            acked: Vec::new(),
            ack_errors: 0,
        }
    }

    /// Events acknowledged by the listener.
    pub fn acked(&self) -> usize {
        self.acked.iter().filter(|&&acked| acked).count()
    }

    /// What this bot is still missing or saw wrong; empty when every reliable message it
    /// sent came back exactly once (and chat in order).
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
            let line = LINES[(seq as usize + bot.index as usize) % LINES.len()];
            let text = format!("{} #{seq}: {line}", bot.name);
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
    chat: ChannelReader<Chat>,
    positions: ChannelReader<Positions>,
    events: ChannelReader<Events>,
    mut bots: Query<(&mut Bot, &mut Traffic)>,
) {
    for (peer, bytes) in chat.read() {
        let Ok((mut bot, mut traffic)) = bots.get_mut(peer) else { continue };
        traffic.received(Kind::Chat);
        match (bytes.first(), channels::read_u32(bytes, 1)) {
            (Some(1), Some(seq)) if seq == bot.echoed && seq < bot.chat_sent => bot.echoed += 1,
            (Some(0), Some(_)) => bot.heard += 1,
            _ => bot.echo_errors += 1,
        }
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
