//! The floor under any transport that runs inside Bevy's frame: the echo of `echo.rs` with
//! Stardust replaced by the least a transport can do per frame.
//!
//! Two bare `App::new()`s on the single-threaded executor, each busy-polling `app.update()`
//! in its own thread with one non-blocking std `UdpSocket`: a `PreUpdate` system reads every
//! waiting datagram (one `recv_from` per datagram plus the one that finds none, as any
//! polling transport must make), the game's `Update` system reads and writes plain queues,
//! and a `PostUpdate` system `send_to`s what was written. No protocol, no reliability, no
//! peers, no channels. Timed like Stardust's echo, from the client's game system sending to
//! its game system reading the echo, so `Stardust echo ÷ this` is what Stardust itself adds
//! and `this ÷ raw ping-pong` is what Bevy's frame costs a round trip on this machine.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use bevy::prelude::*;

use crate::raw_udp::PAYLOAD;
use crate::round_trips::Trips;
use crate::scenarios::echo::{TRIP_TIMEOUT, WARM_UP, spin};
use crate::stardust_udp;

/// Datagrams back to back, with their lengths: after the first frames, queueing one costs
/// no allocation (the buffers keep their capacity), as in Stardust's steady state.
#[derive(Default)]
struct Queue {
    bytes: Vec<u8>,
    lens: Vec<usize>,
}

impl Queue {
    fn push(&mut self, datagram: &[u8]) {
        self.bytes.extend_from_slice(datagram);
        self.lens.push(datagram.len());
    }

    fn is_empty(&self) -> bool {
        self.lens.is_empty()
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.lens.clear();
    }

    fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.lens.iter().scan(0, |at, &len| {
            let datagram = &self.bytes[*at..*at + len];
            *at += len;
            Some(datagram)
        })
    }
}

/// The App's socket and its two queues.
#[derive(Resource)]
struct Wire {
    socket: UdpSocket,
    /// Where this App sends (the listener: whoever wrote last).
    to: Option<SocketAddr>,
    inbox: Queue,
    outbox: Queue,
}

/// `PreUpdate`: every waiting datagram into the inbox.
fn receive(mut wire: ResMut<Wire>) {
    let wire = &mut *wire;
    let mut buffer = [0u8; 2048];
    while let Ok((len, from)) = wire.socket.recv_from(&mut buffer) {
        wire.to = Some(from);
        wire.inbox.push(&buffer[..len]);
    }
}

/// `PostUpdate`: the outbox onto the network.
fn send(mut wire: ResMut<Wire>) {
    let wire = &mut *wire;
    let Some(to) = wire.to else { return };
    for datagram in wire.outbox.iter() {
        let _ = wire.socket.send_to(datagram, to);
    }
    wire.outbox.clear();
}

/// The listener's game system: every message read goes back.
fn echo(mut wire: ResMut<Wire>) {
    let wire = &mut *wire;
    for datagram in wire.inbox.iter() {
        wire.outbox.push(datagram);
    }
    wire.inbox.clear();
}

/// What the client sends next frame, and the send → read time of the last echo.
#[derive(Resource, Default)]
struct Probe {
    send_next: bool,
    sent_at: Option<Instant>,
    trip: Option<Duration>,
}

/// The client's game system: reads the echo (stopping the clock), then sends if asked.
fn probe(mut wire: ResMut<Wire>, mut probe: ResMut<Probe>) {
    if !wire.inbox.is_empty() {
        wire.inbox.clear();
        let read_at = Instant::now();
        if let Some(sent_at) = probe.sent_at.take() {
            probe.trip = Some(read_at - sent_at);
        }
    }
    if std::mem::take(&mut probe.send_next) {
        probe.sent_at = Some(Instant::now());
        wire.outbox.push(&[0x5A; PAYLOAD]);
    }
}

/// A bare App with the socket systems and `game` in `Update`, on the single-threaded executor.
fn app<M>(
    socket: UdpSocket,
    to: Option<SocketAddr>,
    game: impl IntoScheduleConfigs<bevy::ecs::system::ScheduleSystem, M>,
) -> App {
    let mut app = App::new();
    app.insert_resource(Wire { socket, to, inbox: Queue::default(), outbox: Queue::default() });
    app.add_systems(PreUpdate, receive).add_systems(Update, game).add_systems(PostUpdate, send);
    stardust_udp::single_threaded(&mut app);
    app
}

fn bound() -> Option<UdpSocket> {
    let socket = UdpSocket::bind("127.0.0.1:0").ok()?;
    socket.set_nonblocking(true).ok()?;
    Some(socket)
}

/// Times `round_trips` echoes through two bare Apps. `None` if a socket could not be bound.
pub fn run(round_trips: usize) -> Option<Trips> {
    let (server, client) = (bound()?, bound()?);
    let to = server.local_addr().ok()?;
    let stop = Arc::new(AtomicBool::new(false));
    let (ready_tx, ready_rx) = mpsc::channel();
    let listener = {
        let stop = stop.clone();
        thread::spawn(move || {
            let mut app = app(server, None, echo);
            let _ = ready_tx.send(());
            spin(&mut app, &stop);
        })
    };
    ready_rx.recv().ok()?;
    let mut app = app(client, Some(to), probe);
    app.init_resource::<Probe>();
    let mut samples = Vec::with_capacity(round_trips);
    let mut lost = 0;
    for trip in 0..WARM_UP + round_trips {
        app.world_mut().resource_mut::<Probe>().send_next = true;
        let started = Instant::now();
        let took = loop {
            app.update();
            if let Some(took) = app.world_mut().resource_mut::<Probe>().trip.take() {
                break Some(took);
            }
            if started.elapsed() > TRIP_TIMEOUT {
                break None;
            }
        };
        match took {
            Some(took) if trip >= WARM_UP => samples.push(took),
            Some(_) => {}
            None => {
                lost += 1;
                break;
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = listener.join();
    Some(Trips { samples, lost })
}

/// CPU time a bare default `App::new()` (multi-threaded executor) with one empty system in
/// each of `PreUpdate`, `Update` and `PostUpdate` uses per second at a 60 Hz frame rate, over
/// `seconds`: what the listener of the CPU scenario pays for Bevy's frame before Stardust
/// does anything. `None` where procfs is missing.
pub fn bare_app_cpu_per_second(seconds: f64) -> Option<Duration> {
    let mut app = App::new();
    app.add_systems(PreUpdate, || {}).add_systems(Update, || {}).add_systems(PostUpdate, || {});
    for _ in 0..10 {
        app.update();
    }
    let before = stardust_udp::process_cpu()?;
    let started = Instant::now();
    let mut ticker = stardust_udp::Ticker::new(60.0);
    while started.elapsed().as_secs_f64() < seconds {
        app.update();
        ticker.wait();
    }
    let used = stardust_udp::process_cpu()?.saturating_sub(before);
    Some(used.div_f64(started.elapsed().as_secs_f64().max(1e-9)))
}
