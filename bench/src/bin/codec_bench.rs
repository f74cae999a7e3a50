//! Typed messages' format: postcard (what Stardust uses) beside bincode 2 (standard
//! configuration: varint integers, little-endian), on the messages games send most.
//!
//! ```text
//! cargo run --release -p stardust_bench --bin codec_bench
//! ```
//!
//! For each message: its encoded size, and nanoseconds per encode and per decode (median of
//! 31 runs of 100,000, each run encoding into a reused buffer or decoding from one).

use std::hint::black_box;
use std::time::Instant;

use serde::{Deserialize, Serialize};

#[path = "../snapshot.rs"]
mod snapshot;
use snapshot::Snapshot;

/// A chat line: a string behind a small integer.
#[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
struct ChatLine {
    from: u32,
    text: String,
}

/// A player input: an enum, most variants small.
#[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
enum Input {
    Move { x: f32, y: f32 },
    Jump,
    Fire { target: u64 },
}

const RUNS: usize = 31;
const PER_RUN: usize = 100_000;

/// Median nanoseconds per call of `f` over [`RUNS`] runs of [`PER_RUN`] calls.
fn median_ns(mut f: impl FnMut()) -> f64 {
    let mut runs: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..PER_RUN {
                f();
            }
            start.elapsed().as_secs_f64() * 1e9 / PER_RUN as f64
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[RUNS / 2]
}

fn compare<T>(name: &str, value: &T)
where
    T: Serialize + for<'de> Deserialize<'de> + PartialEq + core::fmt::Debug,
{
    let bincode_config = bincode::config::standard();
    let post = postcard::to_allocvec(value).expect("postcard encodes");
    let bin = bincode::serde::encode_to_vec(value, bincode_config).expect("bincode encodes");
    assert_eq!(&postcard::from_bytes::<T>(&post).expect("postcard decodes"), value);
    let (back, _) = bincode::serde::decode_from_slice::<T, _>(&bin, bincode_config).unwrap();
    assert_eq!(&back, value);

    let mut buffer = vec![0u8; 4096];
    let post_encode = median_ns(|| {
        black_box(postcard::to_slice(black_box(value), &mut buffer).expect("fits").len());
    });
    let bin_encode = median_ns(|| {
        let written =
            bincode::serde::encode_into_slice(black_box(value), &mut buffer, bincode_config);
        black_box(written.expect("fits"));
    });
    let post_decode = median_ns(|| {
        black_box(postcard::from_bytes::<T>(black_box(&post)).expect("decodes"));
    });
    let bin_decode = median_ns(|| {
        black_box(
            bincode::serde::decode_from_slice::<T, _>(black_box(&bin), bincode_config).unwrap(),
        );
    });
    println!(
        "{name:<10} postcard {:>3} B, encode {post_encode:>5.1} ns, decode {post_decode:>5.1} ns | \
         bincode 2 {:>3} B, encode {bin_encode:>5.1} ns, decode {bin_decode:>5.1} ns",
        post.len(),
        bin.len(),
    );
}

fn main() {
    println!("typed-message formats, median of {RUNS} runs of {PER_RUN}:");
    let snapshot = Snapshot::new(234);
    compare("Snapshot", &snapshot);
    compare("ChatLine", &ChatLine { from: 7, text: "good game, well played".into() });
    compare("Input", &Input::Fire { target: 77 });
}
