//! What the arena prints at the end, and the checks that decide its exit code.

use std::fmt::Write as _;

use bevy::prelude::*;
use stardust::prelude::*;

use crate::bot::Bot;
use crate::channels::Kind;
use crate::host::Guest;
use crate::traffic::Traffic;

/// One line of a peer table.
struct Row {
    name: String,
    local_port: u16,
    remote: String,
    rtt: String,
    loss: String,
    traffic: Traffic,
    check: String,
}

fn rtt(stats: &PeerStats) -> String {
    stats.rtt.map_or("-".into(), |rtt| format!("{:.2} ms", rtt.as_secs_f64() * 1e3))
}

/// Loss over the window, then since connect, e.g. `1.2% 4/310`: the percentage of the data
/// packets sent in the last 5 s whose fate is known that are presumed lost, then
/// presumed lost / sent since the connection was established.
fn loss(stats: &PeerStats) -> String {
    let total = stats.packets_since_connect;
    format!("{:.1}% {}/{}", stats.packet_loss * 100.0, total.lost, total.sent)
}

fn table(title: &str, local: &str, rows: &[Row]) -> String {
    let mut out = format!("\n{title}\n");
    if rows.is_empty() {
        out.push_str("(no peer connected)\n");
        return out;
    }
    let _ = writeln!(
        out,
        "{:<10} {:>6} {:<21} {:>9} {:>18} {:>13} {:>13} {:>13}  check",
        "peer", local, "remote", "rtt", "loss 5s lost/sent", "chat s/r", "pos s/r", "events s/r"
    );
    for row in rows {
        let _ = writeln!(
            out,
            "{:<10} {:>6} {:<21} {:>9} {:>18} {:>13} {:>13} {:>13}  {}",
            row.name,
            row.local_port,
            row.remote,
            row.rtt,
            row.loss,
            row.traffic.pair(Kind::Chat),
            row.traffic.pair(Kind::Positions),
            row.traffic.pair(Kind::Events),
            row.check
        );
    }
    out.push_str(LOSS_LEGEND);
    out
}

/// What the loss column means, printed under each table.
const LOSS_LEGEND: &str = "(loss 5s: of the data packets sent in the last 5 s whose fate is \
                           known, those presumed lost, i.e. not acknowledged within the resend \
                           timeout;\n lost/sent: data packets presumed lost / sent since connect)\n";

/// The bots' table: client port, listener peer port, RTT, loss, messages per channel, and
/// whether every reliable message came back.
pub fn bot_table(world: &mut World) -> String {
    let mut query = world.query::<(&Bot, &UdpPeer, &PeerStats, &Traffic)>();
    let mut rows: Vec<Row> = query
        .iter(world)
        .map(|(bot, udp, stats, traffic)| Row {
            name: bot.name.clone(),
            local_port: udp.local_port,
            remote: udp.remote.to_string(),
            rtt: rtt(stats),
            loss: loss(stats),
            traffic: *traffic,
            check: if bot.problems().is_empty() { "ok".into() } else { "MISSING".into() },
        })
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    table("bots (outgoing peers; s/r = sent/received by the bot)", "client", &rows)
}

/// The listener's table: peer port, the guest's address, RTT, loss, messages per channel.
pub fn guest_table(world: &mut World) -> String {
    let mut query = world.query::<(&Guest, &UdpPeer, &PeerStats, &Traffic)>();
    let mut rows: Vec<(u16, Row)> = query
        .iter(world)
        .map(|(guest, udp, stats, traffic)| {
            let row = Row {
                name: format!("guest-{:02}", guest.index),
                local_port: udp.local_port,
                remote: udp.remote.to_string(),
                rtt: rtt(stats),
                loss: loss(stats),
                traffic: *traffic,
                check: String::new(),
            };
            (guest.index, row)
        })
        .collect();
    rows.sort_by_key(|(index, _)| *index);
    let rows: Vec<Row> = rows.into_iter().map(|(_, row)| row).collect();
    table("listener (accepted peers; s/r = sent/received by the listener)", "port", &rows)
}

/// Port → number of accepted peers, ascending by port; empty when the App does not listen.
pub fn port_loads(world: &World) -> Vec<(u16, usize)> {
    let transport = world.resource::<UdpTransport>();
    let Some(table) = transport.port_table() else { return Vec::new() };
    table.iter().map(|(port, peers)| (port, peers.len())).collect()
}

/// The port distribution as text, e.g. `7778: 3, 7779: 3 (3/3)`.
pub fn port_distribution(loads: &[(u16, usize)]) -> String {
    let each: Vec<String> = loads.iter().map(|(port, n)| format!("port {port}: {n}")).collect();
    let counts: Vec<String> = loads.iter().map(|(_, n)| n.to_string()).collect();
    format!("port distribution: {} ({})", each.join(", "), counts.join("/"))
}

/// Whether the loads differ by at most one peer between ports.
pub fn balanced(loads: &[(u16, usize)]) -> bool {
    let most = loads.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let least = loads.iter().map(|(_, n)| *n).min().unwrap_or(0);
    most - least <= 1
}

/// What the bots are missing: their own echoes and acknowledgements.
pub fn bot_problems(world: &mut World) -> Vec<String> {
    let mut query = world.query::<&Bot>();
    query.iter(world).flat_map(Bot::problems).collect()
}

/// For every pair of bots in this App, whether the one heard every chat line the other
/// sent, from its first: the relay loses none (order and duplicates each bot checks as lines
/// arrive, see [`Bot::on_relay`]). A bot whose guest number is unknown (no echo came back)
/// is reported by its own check.
pub fn relay_problems(world: &mut World) -> Vec<String> {
    let mut query = world.query::<&Bot>();
    let bots: Vec<&Bot> = query.iter(world).collect();
    let mut problems = Vec::new();
    for listener in &bots {
        for sender in &bots {
            let Some(guest) = sender.guest.filter(|_| sender.name != listener.name) else {
                continue;
            };
            let heard = listener.heard.get(&guest);
            let (first, count) = heard.map_or((0, 0), |h| (h.first, h.count()));
            if first != 0 || count != sender.chat_sent {
                problems.push(format!(
                    "{}: heard {count} of {}'s {} chat lines (from #{first})",
                    listener.name, sender.name, sender.chat_sent
                ));
            }
        }
    }
    problems.sort();
    problems
}

/// When the listener and the bots share this App: for each bot and its guest on the
/// listener, whatever one side sent on a reliable channel the other received.
pub fn cross_check(world: &mut World) -> Vec<String> {
    let mut guests = world.query::<(&Guest, &UdpPeer, &Traffic)>();
    let guests: Vec<(u16, u16, Traffic)> =
        guests.iter(world).map(|(g, udp, t)| (g.index, udp.remote.port(), *t)).collect();
    let mut bots = world.query::<(&Bot, &UdpPeer, &Traffic)>();
    let mut problems = Vec::new();
    for (bot, udp, traffic) in bots.iter(world) {
        let Some((index, _, guest)) = guests.iter().find(|(_, port, _)| *port == udp.local_port)
        else {
            problems.push(format!("{}: the listener has no guest for it", bot.name));
            continue;
        };
        for (kind, name) in [(Kind::Chat, "chat"), (Kind::Events, "events")] {
            let k = kind as usize;
            if traffic.sent[k] != guest.received[k] {
                problems.push(format!(
                    "{}: sent {} {name}, guest-{index:02} received {}",
                    bot.name, traffic.sent[k], guest.received[k]
                ));
            }
            if guest.sent[k] != traffic.received[k] {
                problems.push(format!(
                    "guest-{index:02}: sent {} {name}, {} received {}",
                    guest.sent[k], bot.name, traffic.received[k]
                ));
            }
        }
    }
    problems
}

/// Reliable messages received by every bot and guest, for a one-line summary.
pub fn reliable_received(world: &mut World) -> u64 {
    let mut query = world.query::<&Traffic>();
    query
        .iter(world)
        .map(|t| t.received[Kind::Chat as usize] + t.received[Kind::Events as usize])
        .sum()
}
