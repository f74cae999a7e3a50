//! The fingerprint two peers compare, once, in the handshake.

use std::collections::BTreeMap;

use bevy::ecs::resource::Resource;
use stardust_proto::hash::{FNV_OFFSET_BASIS, fnv1a_64_continue};

use super::registry::ChannelRegistry;
use super::{ChannelConfig, Ordering, Reliability};

/// A 64-bit fingerprint of everything two peers must agree on: every registered
/// channel's id, config and message type, and every value added with
/// [`add_protocol_value`](crate::plugin::ChannelAppExt::add_protocol_value).
///
/// Invariant: always up to date with the app's [`ChannelRegistry`] and protocol values.
/// The same channels and values give the same hash on every machine, build and Rust
/// version, whatever the registration order; any change of an id, a config field, a
/// key or a value changes it.
///
/// # Algorithm
/// FNV-1a 64-bit (see [`stardust_proto::hash`]) over this byte string, all integers big-endian:
/// 1. the 20 ASCII bytes `stardust-protocol-v1`;
/// 2. for each channel in ascending id order, 11 bytes: `0x43` (`'C'`), the id (3 bytes, the
///    id itself, not its `+1` wire form), reliability (`0` reliable, `1` unreliable), ordering
///    (`0` unordered, `1` sequenced, `2` ordered), `max_size` (4 bytes), `priority` (1 byte);
///    A typed channel's record is followed at once by its message type: `0x4D` (`'M'`), the
///    type name's length (4 bytes), the type name's UTF-8 bytes (as written in
///    `message = …`, whitespace removed). Byte channels add nothing, so their hashes are
///    those of earlier versions;
/// 3. for each protocol value in ascending byte order of its key: `0x56` (`'V'`), the key's
///    length (4 bytes), the key's UTF-8 bytes, the value's length (4 bytes), the value's bytes.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProtocolHash(pub u64);

impl ProtocolHash {
    /// The hash of `registry` and `values`, per the algorithm above.
    pub(crate) fn compute(registry: &ChannelRegistry, values: &ProtocolValues) -> ProtocolHash {
        let mut hasher = ProtocolHasher::new();
        for entry in registry.iter() {
            hasher.channel(entry.id.get(), &entry.config);
            if let Some(message) = entry.message {
                hasher.message_type(message);
            }
        }
        for (key, value) in &values.0 {
            hasher.value(key.as_bytes(), value);
        }
        ProtocolHash(hasher.finish())
    }
}

impl Default for ProtocolHash {
    /// The hash of an app with no channel and no value.
    fn default() -> Self {
        ProtocolHash(ProtocolHasher::new().finish())
    }
}

impl core::fmt::Display for ProtocolHash {
    /// Sixteen lower-case hex digits, e.g. `9b1c0e55d2a4f7e0`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// Builds a protocol hash from its parts, in the order the caller feeds them.
///
/// [`ProtocolHash`] feeds channels by ascending id, then values by ascending key; use
/// this directly only to compute the hash of a protocol described outside a Bevy app.
#[derive(Debug, Clone)]
pub struct ProtocolHasher {
    state: u64,
}

impl ProtocolHasher {
    /// A hasher that has absorbed the `stardust-protocol-v1` prefix.
    pub fn new() -> ProtocolHasher {
        ProtocolHasher { state: fnv1a_64_continue(FNV_OFFSET_BASIS, b"stardust-protocol-v1") }
    }

    /// Absorbs one channel.
    pub fn channel(&mut self, id: u32, config: &ChannelConfig) {
        let [_, a, b, c] = id.to_be_bytes();
        let reliability = match config.reliability {
            Reliability::Reliable => 0,
            Reliability::Unreliable => 1,
        };
        let ordering = match config.ordering {
            Ordering::Unordered => 0,
            Ordering::Sequenced => 1,
            Ordering::Ordered => 2,
        };
        let [s0, s1, s2, s3] = config.max_size.to_be_bytes();
        let record = [b'C', a, b, c, reliability, ordering, s0, s1, s2, s3, config.priority];
        self.state = fnv1a_64_continue(self.state, &record);
    }

    /// Absorbs the message type of the channel absorbed last (typed channels only).
    pub fn message_type(&mut self, name: &str) {
        self.state = fnv1a_64_continue(self.state, b"M");
        self.state = fnv1a_64_continue(self.state, &len_be(name.as_bytes()));
        self.state = fnv1a_64_continue(self.state, name.as_bytes());
    }

    /// Absorbs one key/value pair.
    pub fn value(&mut self, key: &[u8], value: &[u8]) {
        self.state = fnv1a_64_continue(self.state, b"V");
        self.state = fnv1a_64_continue(self.state, &len_be(key));
        self.state = fnv1a_64_continue(self.state, key);
        self.state = fnv1a_64_continue(self.state, &len_be(value));
        self.state = fnv1a_64_continue(self.state, value);
    }

    /// The hash of everything absorbed so far.
    pub fn finish(&self) -> u64 {
        self.state
    }
}

impl Default for ProtocolHasher {
    fn default() -> Self {
        Self::new()
    }
}

fn len_be(bytes: &[u8]) -> [u8; 4] {
    // Keys and values larger than 4 GiB cannot be added (they would not fit in memory
    // twice anyway); saturate rather than wrap so the encoding stays injective in practice.
    u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes()
}

/// The values games add to the protocol hash, by key.
#[derive(Resource, Debug, Default, Clone)]
pub(crate) struct ProtocolValues(BTreeMap<String, Vec<u8>>);

impl ProtocolValues {
    pub(crate) fn insert(&mut self, key: &str, value: &[u8]) {
        match self.0.get(key) {
            Some(existing) if existing.as_slice() == value => {}
            Some(existing) => panic!(
                "protocol value `{key}` added twice with different values ({:?} then {:?}); \
                 add each key once, or use distinct keys",
                String::from_utf8_lossy(existing),
                String::from_utf8_lossy(value),
            ),
            None => {
                self.0.insert(key.to_owned(), value.to_vec());
            }
        }
    }
}
