//! Runtime core benchmark: the cost per 64-byte message of
//! `send → flush → link → dispatch → read`, at 100,000 messages per frame across 100 peers,
//! with the number of heap allocations per message.
//!
//! ```text
//! cargo run --release -p stardust_bench --bin runtime_bench
//! ```
//!
//! Two Apps joined by 100 in-memory links: the sender App sends 1,000 messages to each of
//! its 100 peers per frame with `ChannelWriter`; the receiver App reads them all with
//! `ChannelReader`. One measured frame is `sender.update(); receiver.update();`. The
//! baseline moves the same 100,000 `(peer, channel, Bytes)` handles through three plain
//! `Vec`s, the least any queue-based design must do, so the ratio shows the runtime's
//! overhead.
//!
//! The typed run sends the same number of messages on a typed channel
//! (`#[channel(message = Snapshot)]`): each is encoded with postcard when sent, checked at
//! dispatch and decoded when read, so its figure beside the byte runs is the price of typed
//! messages.

// Written like game code: Bevy system params without `'_` lifetimes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bevy::prelude::*;
use bytes::Bytes;
use stardust::prelude::*;

#[path = "../snapshot.rs"]
mod snapshot;
use snapshot::Snapshot;

const PEERS: usize = 100;
const PER_PEER: usize = 1_000;
const MESSAGES: usize = PEERS * PER_PEER;
const PAYLOAD: usize = 64;
const WARMUP_FRAMES: usize = 20;
const MEASURED_FRAMES: usize = 100;

/// Counts heap allocations so the benchmark can report allocations per message.
struct CountingAllocator;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every method forwards to the system allocator with the caller's arguments
// unchanged; counting is a relaxed atomic increment that never allocates.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[derive(Channel)]
#[channel(unreliable, sequenced, max_size = 1024, id = 0x00BE01)]
struct State;

#[derive(Channel)]
#[channel(unreliable, sequenced, max_size = 1024, id = 0x00BE02, message = Snapshot)]
struct TypedState;

/// How the sender builds each payload.
#[derive(Resource, Clone, Copy, PartialEq, Eq, Debug)]
enum Payloads {
    /// One 64-byte buffer shared by every message (a reference-count bump per send).
    Shared,
    /// A fresh 64-byte `Vec` per message: one allocation per message, the payload itself.
    Fresh,
    /// A [`Snapshot`] per message on a typed channel: encoded on send, checked at dispatch,
    /// decoded on read.
    Typed,
}

#[derive(Resource)]
struct SharedPayload(Bytes);

#[derive(Resource, Default)]
struct ReadCount(u64);

fn send_all(
    mut writer: ChannelWriter<State>,
    peers: Query<Entity, With<Peer>>,
    mode: Res<Payloads>,
    shared: Res<SharedPayload>,
) {
    for peer in &peers {
        for index in 0..PER_PEER {
            let payload = match *mode {
                Payloads::Shared => shared.0.clone(),
                Payloads::Fresh | Payloads::Typed => Bytes::from(vec![index as u8; PAYLOAD]),
            };
            // Every peer is connected and every payload fits: an error is a bench bug.
            writer.send(peer, payload).expect("send accepted");
        }
    }
}

fn send_typed(mut writer: ChannelWriter<TypedState>, peers: Query<Entity, With<Peer>>) {
    for peer in &peers {
        for index in 0..PER_PEER {
            writer.send(peer, &Snapshot::new(index)).expect("send accepted");
        }
    }
}

fn read_typed(reader: ChannelReader<TypedState>, mut count: ResMut<ReadCount>) {
    for (peer, snapshot) in reader.read() {
        black_box((peer, snapshot.entity, snapshot.position));
        count.0 += 1;
    }
}

fn read_all(reader: ChannelReader<State>, mut count: ResMut<ReadCount>) {
    let mut bytes = 0u64;
    for (peer, payload) in reader.read() {
        black_box(peer);
        bytes += payload.len() as u64;
    }
    count.0 += bytes / PAYLOAD as u64;
}

fn linked_apps(mode: Payloads) -> (App, App) {
    let mut sender = App::new();
    let mut receiver = App::new();
    for app in [&mut sender, &mut receiver] {
        app.add_plugins((StardustPlugin, LinkPlugin))
            .add_channel::<State>()
            .add_channel::<TypedState>();
    }
    sender.insert_resource(mode).insert_resource(SharedPayload(Bytes::from(vec![7u8; PAYLOAD])));
    receiver.init_resource::<ReadCount>();
    if mode == Payloads::Typed {
        sender.add_systems(Update, send_typed.run_if(any_peer_connected));
        receiver.add_systems(Update, read_typed);
    } else {
        sender.add_systems(Update, send_all.run_if(any_peer_connected));
        receiver.add_systems(Update, read_all);
    }
    for _ in 0..PEERS {
        stardust::link::connect(&mut sender, &mut receiver);
    }
    (sender, receiver)
}

struct Figures {
    ns_per_message: Spread,
    allocations_per_message: f64,
    allocations_per_frame: f64,
}

fn measure_runtime(mode: Payloads) -> Figures {
    let (mut sender, mut receiver) = linked_apps(mode);
    for _ in 0..WARMUP_FRAMES {
        sender.update();
        receiver.update();
    }
    let read_before = receiver.world().resource::<ReadCount>().0;
    let allocations_before = ALLOCATIONS.load(Ordering::Relaxed);
    let frames = timed_frames(|| {
        sender.update();
        receiver.update();
    });
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - allocations_before;
    let read = receiver.world().resource::<ReadCount>().0 - read_before;
    let sent = (MEASURED_FRAMES * MESSAGES) as u64;
    // The reader lags one frame behind the sender (link delivery happens on the next
    // receiver update), so it has read exactly as many as were sent in as many frames.
    assert_eq!(read, sent, "every message sent must be read exactly once");
    Figures {
        ns_per_message: frames,
        allocations_per_message: allocations as f64 / sent as f64,
        allocations_per_frame: allocations as f64 / MEASURED_FRAMES as f64,
    }
}

/// The least a queue-based path must do: move each handle through three reused `Vec`s and
/// read it.
fn measure_baseline() -> Spread {
    let shared = Bytes::from(vec![7u8; PAYLOAD]);
    let mut sent: Vec<(u32, u32, Bytes)> = Vec::new();
    let mut wire: Vec<(u32, u32, Bytes)> = Vec::new();
    let mut delivered: Vec<(u32, Bytes)> = Vec::new();
    let mut frame = || {
        for peer in 0..PEERS as u32 {
            for _ in 0..PER_PEER {
                sent.push((peer, 1, shared.clone()));
            }
        }
        wire.append(&mut sent);
        delivered.extend(wire.drain(..).map(|(peer, _, bytes)| (peer, bytes)));
        let mut total = 0;
        for (peer, bytes) in delivered.drain(..) {
            total += bytes.len() + peer as usize;
        }
        black_box(total);
    };
    for _ in 0..WARMUP_FRAMES {
        frame();
    }
    timed_frames(frame)
}

/// Nanoseconds per message over the measured frames: the median resists the bursts of
/// load of a shared machine, the best frame shows the undisturbed cost.
struct Spread {
    median: f64,
    best: f64,
}

impl std::fmt::Display for Spread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "median {:>6.1} ns/message, best {:>6.1}", self.median, self.best)
    }
}

/// Runs `frame` [`MEASURED_FRAMES`] times, timing each run.
fn timed_frames(mut frame: impl FnMut()) -> Spread {
    let mut per_message: Vec<f64> = (0..MEASURED_FRAMES)
        .map(|_| {
            let start = Instant::now();
            frame();
            start.elapsed().as_secs_f64() * 1e9 / MESSAGES as f64
        })
        .collect();
    per_message.sort_by(f64::total_cmp);
    Spread { median: per_message[MEASURED_FRAMES / 2], best: per_message[0] }
}

fn main() {
    println!(
        "runtime core: {MESSAGES} messages of {PAYLOAD} bytes per frame across {PEERS} peers, \
         {MEASURED_FRAMES} measured frames after {WARMUP_FRAMES} warm-up frames"
    );
    let baseline = measure_baseline();
    println!("baseline (3 plain Vec moves + read): {baseline}");
    for index in [0, PER_PEER - 1] {
        let encoded = postcard::to_allocvec(&Snapshot::new(index)).expect("encodes");
        assert_eq!(encoded.len(), PAYLOAD, "typed and byte payloads are the same size");
    }
    for mode in [Payloads::Shared, Payloads::Fresh, Payloads::Typed] {
        let figures = measure_runtime(mode);
        let spread = &figures.ns_per_message;
        println!(
            "send→flush→link→dispatch→read, {mode:?} payloads: {spread} \
             ({:.1}× baseline median), {:.4} allocations/message ({:.0} per frame)",
            spread.median / baseline.median,
            figures.allocations_per_message,
            figures.allocations_per_frame,
        );
    }
}
