//! The typed message the runtime and codec benchmarks send: a typical replication update,
//! shared by `runtime_bench` and `codec_bench` so both measure the same 64 bytes.

use serde::{Deserialize, Serialize};

/// A replication update: integers that varints shrink, floats that they cannot.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Debug)]
pub struct Snapshot {
    pub entity: u32,
    pub tick: u32,
    pub position: [f32; 3],
    pub velocity: [f32; 3],
    pub rotation: [f32; 4],
    pub health: u8,
    pub inputs: [u8; 19],
}

impl Snapshot {
    /// The `index`th snapshot of a frame (`index` below 15,384): two 2-byte varints, ten
    /// 4-byte floats, one byte and a 19-byte array, 64 bytes in postcard.
    pub fn new(index: usize) -> Snapshot {
        Snapshot {
            entity: 1_000 + index as u32,
            tick: 9_000,
            position: [1.0, 2.0, 3.0],
            velocity: [0.5, 0.0, -0.5],
            rotation: [0.0, 0.0, 0.0, 1.0],
            health: 100,
            inputs: [index as u8; 19],
        }
    }
}
