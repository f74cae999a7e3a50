//! The bench's one channel and its payload: a message number and the time it was sent, so
//! the reader measures each message's delivery latency from the payload alone.

use std::time::{Duration, Instant};

use bytes::Bytes;
use stardust::prelude::*;

/// Bytes of every payload (a game-sized state update).
pub const PAYLOAD: usize = 64;

/// The bench's channel: reliable, ordered.
#[derive(Channel)]
#[channel(reliable, ordered, id = 0x00BE30)]
pub struct Data;

/// Payload of message `seq` sent at `sent`, measured from `epoch` (one `Instant` shared by
/// both Apps of the process).
pub fn encode(seq: u64, sent: Instant, epoch: Instant) -> Bytes {
    let mut bytes = [0u8; PAYLOAD];
    bytes[..8].copy_from_slice(&seq.to_le_bytes());
    let nanos = sent.saturating_duration_since(epoch).as_nanos() as u64;
    bytes[8..16].copy_from_slice(&nanos.to_le_bytes());
    Bytes::copy_from_slice(&bytes)
}

/// The message number and send time a payload carries, if it is one of ours.
pub fn decode(payload: &[u8], epoch: Instant) -> Option<(u64, Instant)> {
    if payload.len() != PAYLOAD {
        return None;
    }
    let seq = u64::from_le_bytes(payload[..8].try_into().ok()?);
    let nanos = u64::from_le_bytes(payload[8..16].try_into().ok()?);
    Some((seq, epoch + Duration::from_nanos(nanos)))
}
