//! 64-byte echo round trip through Stardust: the client App sends one reliable-ordered
//! message, the listener App's game system sends it back, and the client times send → read.
//!
//! Each App runs in its own thread busy-polling `app.update()`, as the raw ping-pong
//! baseline's two threads spin on their sockets. One message is in flight at a time. Each
//! App has one game system, as each of the floor's Apps does (`floor.rs`), so the two differ
//! only in the transport.
//!
//! With `UdpConfig::busy_poll` (on both Apps), each App's receive phase keeps reading its
//! socket until the other's datagram lands, as the raw baseline's threads do, instead of
//! reading it once per frame: the datagram no longer waits for the rest of a frame. A frame
//! with nothing to receive then lasts the whole busy poll; the client's sending frame is one
//! (the last echo was read the frame before), which shows in the whole-frames clock.
//!
//! Two clocks time each round trip. The one the target is judged on has the endpoints of the
//! raw baseline's clock (just before `send_to`, just after `recv_from` returns): it starts in
//! the client's game system just before `ChannelWriter::send` and stops in the client's game
//! system as `ChannelReader::read` yields the echo. Between them are everything Stardust adds:
//! the rest of the sending frame up to its flush, both sides' batching syscalls, the
//! listener's wait for its next frame and that whole frame, the client's wait for its next
//! frame and the part of it before the game system. The second clock also counts the part
//! of the client's sending frame before the game system and the part of its reading frame
//! after it (it starts before `app.update()` and stops after it returns): it is reported
//! beside the first to show what a whole frame at each end costs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use stardust::prelude::*;

use crate::round_trips::Trips;
use crate::stardust_udp::{self, Data, payload, seq_of};

/// Round trips run before timing starts.
pub const WARM_UP: usize = 200;
/// A round trip slower than this counts as lost and ends the measurement (reliable delivery
/// should never need it on loopback).
pub const TRIP_TIMEOUT: Duration = Duration::from_millis(500);

/// Median idle frame times: what every frame of a round trip pays whatever it carries.
#[derive(Debug, Clone, Copy)]
pub struct Frames {
    /// The client App (Stardust, UDP transport, one connection), nothing to send or receive.
    pub stardust: Duration,
    /// A bare `App::new()` with the same executor: Bevy's own share.
    pub bare: Duration,
}

/// Median of 1,000 updates of a bare `App::new()`.
fn bare_frame(single_threaded: bool) -> Duration {
    let mut app = App::new();
    if single_threaded {
        stardust_udp::single_threaded(&mut app);
    }
    median_frame(&mut app)
}

/// Median of 1,000 `app.update()` calls.
fn median_frame(app: &mut App) -> Duration {
    let mut frames: Vec<Duration> = (0..1_000)
        .map(|_| {
            let start = Instant::now();
            app.update();
            start.elapsed()
        })
        .collect();
    frames.sort_unstable();
    frames[frames.len() / 2]
}

/// What the client sends next frame, if anything, and when the echo of the last one came.
#[derive(Resource)]
struct Probe {
    peer: Entity,
    next: Option<u64>,
    /// The message in flight and when the game system sent it.
    in_flight: Option<(u64, Instant)>,
    /// Send → read of the last echo, once read.
    trip: Option<Duration>,
    /// Messages read that were not the echo of the one in flight (must stay 0).
    unexpected: u64,
}

/// The client's one game system, as the floor has one: stops the send → read clock as the
/// echo is read, then sends the next message if one is asked for.
fn probe(reader: ChannelReader<Data>, mut writer: ChannelWriter<Data>, mut probe: ResMut<Probe>) {
    for (_, bytes) in reader.read() {
        let read_at = Instant::now();
        match probe.in_flight.take() {
            Some((seq, sent_at)) if seq_of(bytes) == Some(seq) => {
                probe.trip = Some(read_at - sent_at);
            }
            _ => probe.unexpected += 1,
        }
    }
    if let Some(seq) = probe.next.take() {
        let payload = payload(seq);
        probe.in_flight = Some((seq, Instant::now()));
        let _ = writer.send(probe.peer, payload);
    }
}

/// One echo run: the two clocks' round trips and the idle frame times.
pub struct Echo {
    /// Game system to game system (`send` → `read`): the endpoints of the raw baseline.
    pub send_to_read: Trips,
    /// From before the sending `app.update()` to after the reading one returns.
    pub whole_frames: Trips,
    /// Median idle frame times.
    pub frames: Frames,
}

impl Echo {
    /// Adds the round trips of another run of the same setup (keeping this run's frames).
    pub fn extend(&mut self, run: Echo) {
        self.send_to_read.extend(run.send_to_read);
        self.whole_frames.extend(run.whole_frames);
    }
}

fn echo(reader: ChannelReader<Data>, mut writer: ChannelWriter<Data>) {
    for (peer, bytes) in reader.read() {
        let _ = writer.send(peer, bytes.clone());
    }
}

/// The listener side of an echo: busy-polls `app.update()` until `stop` is set (at most
/// two minutes).
pub fn spin(app: &mut App, stop: &AtomicBool) {
    let start = Instant::now();
    while !stop.load(Ordering::Relaxed) && start.elapsed() < Duration::from_secs(120) {
        app.update();
    }
}

/// Times `round_trips` echoes, with Bevy's multi-threaded executor (the default) or the
/// single-threaded one on both Apps; also returns the median idle frame times (the fixed
/// cost a round trip pays per frame). `None` if the connection could not be made.
/// Both Apps are `security`.
pub fn run(
    round_trips: usize,
    single_threaded: bool,
    busy_poll: Duration,
    security: UdpSecurity,
) -> Option<Echo> {
    let stop = Arc::new(AtomicBool::new(false));
    let (addr_tx, addr_rx) = mpsc::channel();
    let listener = {
        let stop = stop.clone();
        thread::spawn(move || {
            let mut config = UdpConfig::loopback(1);
            config.max_peers = 1;
            config.busy_poll = busy_poll;
            config.security = security;
            let mut app = stardust_udp::bare_app(config);
            app.add_systems(Update, echo);
            if single_threaded {
                stardust_udp::single_threaded(&mut app);
            }
            let _ = addr_tx.send(stardust_udp::listen_addr(&app));
            spin(&mut app, &stop);
        })
    };
    let addr = addr_rx.recv().ok()?;
    let result = client(addr, round_trips, single_threaded, busy_poll, security);
    stop.store(true, Ordering::Relaxed);
    let _ = listener.join();
    result
}

fn client(
    addr: std::net::SocketAddr,
    round_trips: usize,
    single_threaded: bool,
    busy_poll: Duration,
    security: UdpSecurity,
) -> Option<Echo> {
    let mut app = stardust_udp::bare_app(UdpConfig { busy_poll, security, ..UdpConfig::default() });
    let peer = app.world_mut().connect_udp(addr);
    let start = Instant::now();
    while app.world().get::<PeerState>(peer) != Some(&PeerState::Connected) {
        if start.elapsed() > Duration::from_secs(10) {
            return None;
        }
        app.update();
        thread::sleep(Duration::from_micros(200));
    }
    app.insert_resource(Probe { peer, next: None, in_flight: None, trip: None, unexpected: 0 });
    app.add_systems(Update, probe);
    if single_threaded {
        // After the last system is added, so no schedule is rebuilt with the default.
        stardust_udp::single_threaded(&mut app);
    }

    let idle_frame = Frames { stardust: median_frame(&mut app), bare: bare_frame(single_threaded) };

    let mut samples = Vec::with_capacity(round_trips);
    let mut whole = Vec::with_capacity(round_trips);
    let mut lost = 0;
    for seq in 0..(WARM_UP + round_trips) as u64 {
        app.world_mut().resource_mut::<Probe>().next = Some(seq);
        let sent_at = Instant::now();
        loop {
            app.update();
            if let Some(trip) = app.world_mut().resource_mut::<Probe>().trip.take() {
                if seq >= WARM_UP as u64 {
                    whole.push(sent_at.elapsed());
                    samples.push(trip);
                }
                break;
            }
            if sent_at.elapsed() > TRIP_TIMEOUT {
                lost += 1;
                break;
            }
        }
        if lost > 0 {
            break;
        }
    }
    let connected = app.world().get::<PeerState>(peer) == Some(&PeerState::Connected);
    if !connected {
        lost += 1;
    }
    // A message that was not the echo of the one in flight is a delivery failure too.
    lost += app.world().resource::<Probe>().unexpected as usize;
    Some(Echo {
        send_to_read: Trips { samples, lost },
        whole_frames: Trips { samples: whole, lost },
        frames: idle_frame,
    })
}
