//! An interactive terminal chat over Stardust and UDP.
//!
//! ```sh
//! cargo run --example chat -- --listen 127.0.0.1:7777                # one terminal (the host)
//! cargo run --example chat -- --connect 127.0.0.1:7777 --key KEY --name Bob  # each other terminal
//! ```
//!
//! Lines typed anywhere are shown to everyone else; the host relays them and announces who
//! joins and leaves. `/who` lists who is here, `/quit` (or end of input, or Ctrl-C) leaves;
//! a second Ctrl-C leaves at once.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::{Duration, Instant};

use bevy::app::TerminalCtrlCHandlerPlugin;
use bevy::prelude::*;
use stardust::prelude::*;

/// Every line and notice: all arrive, in the order sent.
///
/// Guest → host: a tag byte, `0` = hello (then the guest's name) or `1` = a typed line
/// (then its text). Host → guest: the text to show, as is.
#[derive(Channel)]
#[channel(reliable, ordered, max_size = 1024, id = 0x00C001)]
struct Lines;

const HELLO: u8 = 0;
const LINE: u8 = 1;
/// Longest text kept from a typed line, in bytes (well under `Lines`' max size).
const MAX_TEXT: usize = 900;
const FRAME: Duration = Duration::from_millis(10);
const USAGE: &str = "\
usage: cargo run --example chat -- --listen ADDR [--name NAME]
       cargo run --example chat -- --connect ADDR --key KEY --name NAME

  --listen ADDR   host a chat on ADDR (e.g. 127.0.0.1:7777); guests get the next two ports;
                  prints the host's public key
  --connect ADDR  join the chat hosted at ADDR (host:port, e.g. localhost:7777)
  --key KEY       the host's public key, as --listen printed it: only that host can answer
                  (without it the chat is encrypted, but whoever answers at ADDR is trusted)
  --name NAME     how others see you (default: host / guest)

In the chat: type a line and press Enter to send it; /who lists who is here; /quit leaves.";

/// Which side this terminal is.
enum Role {
    Host(SocketAddr),
    /// The host's address and, when given, its key.
    Guest(SocketAddr, Option<PublicKey>),
}

/// This terminal's name.
#[derive(Resource)]
struct Me(String);

/// A guest's name, on the host's peer entity for it (set by its hello).
#[derive(Component)]
struct Nick(String);

/// Lines typed since the last frame.
#[derive(Resource, Default)]
struct Typed(Vec<String>);

/// Set once `/quit` was typed: the loop ends when the connections are closed.
#[derive(Resource, Default)]
struct Quitting(bool);

/// Set when a guest lost its host: the loop ends at once.
#[derive(Resource, Default)]
struct HostGone(bool);

/// Whether a guest ever reached its host: if not, it exits with an error.
#[derive(Resource, Default)]
struct Joined(bool);

fn parse_args() -> Result<(Role, String), String> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let (mut role, mut name, mut key) = (None, None, None);
    let mut args = argv.iter();
    while let Some(flag) = args.next() {
        let mut addr = || -> Result<SocketAddr, String> {
            let text = args.next().ok_or(format!("{flag} needs an address"))?;
            resolve_udp_addr(text).map_err(|error| format!("{flag}: {error}"))
        };
        match flag.as_str() {
            "--listen" if role.is_none() => role = Some(Role::Host(addr()?)),
            "--connect" if role.is_none() => role = Some(Role::Guest(addr()?, None)),
            "--key" => {
                let text = args.next().ok_or("--key needs the host's public key")?;
                let parsed: PublicKey = text.parse().map_err(|error| format!("--key: {error}"))?;
                key = Some(parsed);
            }
            "--listen" | "--connect" => return Err("give one of --listen or --connect".into()),
            "--name" => name = Some(args.next().ok_or("--name needs a value")?.clone()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let role = match (role.ok_or("give --listen ADDR or --connect ADDR")?, key) {
        (Role::Guest(addr, _), key) => Role::Guest(addr, key),
        (Role::Host(_), Some(_)) => return Err("--key is for --connect".into()),
        (host, None) => host,
    };
    let default = if matches!(role, Role::Host(_)) { "host" } else { "guest" };
    let name = clean(name.as_deref().unwrap_or(default), 32);
    if name.is_empty() {
        return Err("--name needs visible characters".into());
    }
    Ok((role, name))
}

/// `text` without control characters, trimmed, cut to at most `max` bytes on a character
/// boundary.
fn clean(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.trim().chars().filter(|c| !c.is_control()) {
        if out.len() + c.len_utf8() > max {
            break;
        }
        out.push(c);
    }
    out
}

fn tagged(tag: u8, text: &str) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend_from_slice(text.as_bytes());
    out
}

/// Reads stdin on its own thread: a terminal read blocks, the Bevy loop must not.
fn spawn_stdin_reader() -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                return;
            }
        }
        let _ = tx.send("/quit".into());
    });
    rx
}

fn build_app(role: &Role, name: String) -> Result<App, String> {
    let config = match role {
        Role::Host(addr) if addr.port() == 0 => {
            UdpConfig { listen: Some(*addr), peer_ports: vec![0; 2], ..UdpConfig::default() }
        }
        Role::Host(addr) => match addr.port().checked_add(2) {
            Some(last) => UdpConfig::listening(*addr, addr.port() + 1..=last),
            None => return Err(format!("port {} leaves no room for peer ports", addr.port())),
        },
        Role::Guest(..) => UdpConfig::default(),
    };
    let mut app = App::new();
    // Bevy's own Ctrl-C handler (no extra dependency): the first press asks the App to exit,
    // which `ctrl_c_quits` turns into a `/quit`; a second press ends the process at once.
    app.add_plugins((TerminalCtrlCHandlerPlugin, StardustPlugin, UdpPlugin::new(config)));
    // A busy port does not stop the App: the plugin reports it here instead.
    if let Some(failure) = app.world().get_resource::<UdpBindFailure>() {
        return Err(failure.error.to_string());
    }
    app.add_channel::<Lines>()
        .add_protocol_value("chat.version", "1")
        .insert_resource(Me(name))
        .init_resource::<Typed>()
        .init_resource::<Quitting>()
        .init_resource::<HostGone>()
        .init_resource::<Joined>()
        .add_systems(PreUpdate, ctrl_c_quits);
    match role {
        Role::Host(_) => app.add_systems(Update, (host_receive, host_leaves, host_typed).chain()),
        Role::Guest(addr, key) => {
            let options = UdpConnectOptions { listener_key: *key, ..UdpConnectOptions::default() };
            app.world_mut().connect_udp_with(*addr, options);
            app.add_systems(Update, (guest_lifecycle, guest_receive, guest_typed).chain())
        }
    };
    Ok(app)
}

/// Says that Ctrl-C was pressed and leaves as `/quit` does (the connections closed with a
/// reason the others see).
fn ctrl_c_quits(
    mut exit: MessageReader<AppExit>,
    mut typed: ResMut<Typed>,
    quitting: Res<Quitting>,
    mut said: Local<bool>,
) {
    if exit.read().count() == 0 || *said {
        return;
    }
    *said = true;
    println!("* Ctrl-C: leaving the chat (press Ctrl-C again to leave at once)");
    if !quitting.0 {
        typed.0.push("/quit".into());
    }
}

fn names(guests: &Query<(Entity, &Nick)>) -> Vec<String> {
    guests.iter().map(|(_, nick)| nick.0.clone()).collect()
}

/// The host takes hellos and lines, shows them, and relays them to every other guest.
fn host_receive(
    me: Res<Me>,
    incoming: ChannelReader<Lines>,
    guests: Query<(Entity, &Nick)>,
    mut lines: ChannelWriter<Lines>,
    mut commands: Commands,
) {
    for (peer, bytes) in incoming.read() {
        let text = clean(&String::from_utf8_lossy(bytes.get(1..).unwrap_or_default()), MAX_TEXT);
        let nick = guests.get(peer).ok().map(|(_, nick)| nick.0.clone());
        match (bytes.first(), nick) {
            (Some(&HELLO), None) => {
                let name = if text.is_empty() { format!("guest-{}", peer.index()) } else { text };
                let here = [vec![me.0.clone()], names(&guests)].concat().join(", ");
                let _ = lines.send(peer, format!("* welcome {name}; here: {here}").into_bytes());
                let notice = format!("* {name} joined");
                println!("{notice}");
                let _ = lines.broadcast_except(peer, notice.into_bytes());
                commands.entity(peer).insert(Nick(name));
            }
            (Some(&LINE), Some(_)) if text == "/who" => {
                let here = [vec![me.0.clone()], names(&guests)].concat().join(", ");
                let _ = lines.send(peer, format!("* here: {here}").into_bytes());
            }
            (Some(&LINE), Some(name)) if !text.is_empty() => {
                let line = format!("{name}: {text}");
                println!("{line}");
                let _ = lines.broadcast_except(peer, line.into_bytes());
            }
            _ => {} // A line before the hello, or a second hello: ignored.
        }
    }
}

/// The host announces guests who leave, with the reason.
fn host_leaves(
    mut left: MessageReader<PeerDisconnected>,
    guests: Query<&Nick>,
    mut lines: ChannelWriter<Lines>,
) {
    for message in left.read() {
        if let Ok(nick) = guests.get(message.peer) {
            let why = match &message.reason {
                DisconnectReason::Requested { message, .. } => format!("\"{message}\""),
                other => other.to_string(),
            };
            let notice = format!("* {} left ({why})", nick.0);
            println!("{notice}");
            let _ = lines.broadcast_except(message.peer, notice.into_bytes());
        }
    }
}

/// The host's own lines go to every guest; `/quit` closes every connection.
fn host_typed(
    me: Res<Me>,
    mut typed: ResMut<Typed>,
    mut quitting: ResMut<Quitting>,
    guests: Query<(Entity, &Nick)>,
    peers: Query<Entity, With<Peer>>,
    mut lines: ChannelWriter<Lines>,
    mut commands: Commands,
) {
    for line in typed.0.drain(..) {
        match line.trim() {
            "/quit" => {
                quitting.0 = true;
                for peer in &peers {
                    commands.entity(peer).disconnect_peer("the host closed the chat");
                }
            }
            "/who" => {
                println!("* here: {}", [vec![me.0.clone()], names(&guests)].concat().join(", "))
            }
            _ => {
                let text = clean(&line, MAX_TEXT);
                if !text.is_empty() {
                    for (peer, _) in &guests {
                        let _ = lines.send(peer, format!("{}: {text}", me.0).into_bytes());
                    }
                }
            }
        }
    }
}

/// A guest says hello once connected, and reports losing the host.
fn guest_lifecycle(
    me: Res<Me>,
    mut connected: MessageReader<PeerConnected>,
    mut left: MessageReader<PeerDisconnected>,
    mut lines: ChannelWriter<Lines>,
    mut gone: ResMut<HostGone>,
    mut joined: ResMut<Joined>,
) {
    for message in connected.read() {
        joined.0 = true;
        let _ = lines.send(message.peer, tagged(HELLO, &me.0));
    }
    for message in left.read() {
        println!("* disconnected: {}", message.reason);
        gone.0 = true;
    }
}

/// A guest shows what the host sends.
fn guest_receive(incoming: ChannelReader<Lines>) {
    for (_, bytes) in incoming.read() {
        println!("{}", String::from_utf8_lossy(bytes));
    }
}

/// A guest's lines go to the host; `/quit` closes the connection.
fn guest_typed(
    mut typed: ResMut<Typed>,
    mut quitting: ResMut<Quitting>,
    hosts: Query<(Entity, &PeerState)>,
    mut lines: ChannelWriter<Lines>,
    mut commands: Commands,
) {
    for line in typed.0.drain(..) {
        for (host, state) in &hosts {
            if line.trim() == "/quit" {
                commands.entity(host).disconnect_peer("bye");
            } else if !state.is_connected() {
                println!("* not connected yet; line dropped");
            } else {
                let _ = lines.send(host, tagged(LINE, &clean(&line, MAX_TEXT)));
            }
        }
        quitting.0 |= line.trim() == "/quit";
    }
}

fn main() -> ExitCode {
    let (role, name) = match parse_args() {
        Ok(parsed) => parsed,
        Err(problem) => {
            eprintln!("error: {problem}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut app = match build_app(&role, name.clone()) {
        Ok(app) => app,
        Err(problem) => {
            eprintln!("error: {problem}");
            return ExitCode::FAILURE;
        }
    };
    match role {
        Role::Host(_) => {
            let transport = app.world().resource::<UdpTransport>();
            let addr = transport.listen_addr().map_or("?".into(), |a| a.to_string());
            let key = transport.public_key().map_or("?".into(), |key| key.to_string());
            println!("* hosting on {addr} as {name}; others join with:");
            println!("*   cargo run --example chat -- --connect {addr} --key {key} --name NAME");
        }
        Role::Guest(addr, Some(_)) => println!("* joining {addr} as {name} ..."),
        Role::Guest(addr, None) => println!(
            "* joining {addr} as {name} (no --key: encrypted, but the host is not authenticated) ..."
        ),
    }
    println!("* type a line and press Enter; /who lists who is here; /quit leaves");
    let typed = spawn_stdin_reader();
    let mut quit_at = None;
    loop {
        let started = Instant::now();
        loop {
            match typed.try_recv() {
                Ok(line) => app.world_mut().resource_mut::<Typed>().0.push(line),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => break,
            }
        }
        app.update();
        if app.world().resource::<HostGone>().0 {
            let joined = app.world().resource::<Joined>().0;
            return if joined { ExitCode::SUCCESS } else { ExitCode::FAILURE };
        }
        if app.world().resource::<Quitting>().0 {
            // Give the closes a moment to reach the others, then leave.
            let since = *quit_at.get_or_insert_with(Instant::now);
            let mut peers = app.world_mut().query_filtered::<(), With<Peer>>();
            if peers.iter(app.world()).next().is_none() || since.elapsed() > Duration::from_secs(2)
            {
                break;
            }
        }
        std::thread::sleep(FRAME.saturating_sub(started.elapsed()));
    }
    ExitCode::SUCCESS
}
