//! What the fuzz targets share: a reader that turns the fuzzer's bytes into choices, one fixed
//! start instant, and a checker of a connection's event sequence.
//!
//! Everything here is deterministic: the targets draw every key, id and packet number from a
//! `SeededEntropy`, so an input replays the same run, and a crash artifact reproduces.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use stardust_proto::crypto::{SeededEntropy, StaticKeypair};
use stardust_proto::{CloseReason, Connection, ConnectionEvent};

/// The transport identifier every target's peers share.
pub const TRANSPORT_ID: u64 = 1;
/// The transport version every target's peers share.
pub const TRANSPORT_VERSION: u32 = 2;
/// The protocol hash every target's peers share.
pub const PROTOCOL_HASH: u64 = 7;

/// The listener's static key pair, the same in every run (made once: key generation is the
/// slow part of a short run).
pub fn listener_identity() -> StaticKeypair {
    static IDENTITY: OnceLock<StaticKeypair> = OnceLock::new();
    IDENTITY
        .get_or_init(|| StaticKeypair::generate(&mut SeededEntropy::from_u64(0x115_7E4E)))
        .clone()
}

/// Where the genuine client sends from.
pub fn client_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 50000))
}

/// The fuzzer's bytes read front to back as choices. Past the end every read gives zeros (or
/// an empty slice), so a short input is still a complete, valid run.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// Reads `data` from its first byte.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next byte, or 0.
    pub fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&byte, rest)) => {
                self.data = rest;
                byte
            }
            None => 0,
        }
    }

    /// The next two bytes, big-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }

    /// The next eight bytes, big-endian.
    pub fn u64(&mut self) -> u64 {
        (0..8).fold(0, |acc, _| acc << 8 | u64::from(self.u8()))
    }

    /// The next byte's low bit.
    pub fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }

    /// The next `len` bytes, or as many as are left.
    pub fn bytes(&mut self, len: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(len.min(self.data.len()));
        self.data = rest;
        head
    }

    /// A length byte, then that many bytes: one record's body.
    pub fn body(&mut self) -> &'a [u8] {
        let len = usize::from(self.u8());
        self.bytes(len)
    }

    /// 32 bytes, zero-padded: a seed or a key.
    pub fn array32(&mut self) -> [u8; 32] {
        let mut out = [0; 32];
        let got = self.bytes(32);
        out[..got.len()].copy_from_slice(got);
        out
    }

    /// A time step: mostly milliseconds (so timers fire in every order), sometimes whole
    /// seconds (so idle timeouts, handshake deadlines and cookie lifetimes are reached).
    pub fn delay(&mut self) -> Duration {
        let byte = self.u8();
        if byte & 0x80 == 0 {
            Duration::from_millis(u64::from(byte) * 4)
        } else {
            Duration::from_secs(u64::from(byte & 0x7f))
        }
    }
}

/// One instant for the whole process: only differences of instants reach the engine, so runs
/// do not depend on when they happen.
pub fn start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// What a connection reported so far, checked as it arrives against the contract of
/// [`ConnectionEvent`]: at most one `Connected`, at most one terminal event (`Rejected` or
/// `Closed`), nothing after it, and `is_closed` exactly when the terminal event was reported.
#[derive(Debug, Default)]
pub struct Events {
    /// How many `Connected` were reported.
    pub connected: u32,
    /// The terminal event, once reported.
    pub terminal: Option<ConnectionEvent>,
}

impl Events {
    /// Drains `conn`'s events, checking each.
    pub fn drain(&mut self, conn: &mut Connection) {
        while let Some(event) = conn.poll_event() {
            assert!(self.terminal.is_none(), "{event:?} after the terminal {:?}", self.terminal);
            match event {
                ConnectionEvent::Connected { .. } => self.connected += 1,
                ConnectionEvent::Rejected { .. } | ConnectionEvent::Closed { .. } => {
                    self.terminal = Some(event);
                }
            }
            assert!(self.connected <= 1, "Connected reported twice");
        }
        assert_eq!(
            conn.is_closed(),
            self.terminal.is_some(),
            "is_closed disagrees with the events reported"
        );
    }

    /// The reason of the `Closed` event, if that was the terminal event.
    pub fn close_reason(&self) -> Option<&CloseReason> {
        match &self.terminal {
            Some(ConnectionEvent::Closed { reason }) => Some(reason),
            _ => None,
        }
    }

    /// Whether the terminal event was a `Rejected`.
    pub fn rejected(&self) -> bool {
        matches!(self.terminal, Some(ConnectionEvent::Rejected { .. }))
    }
}

/// Flips bit `bit` (taken modulo the length) of `bytes`; does nothing to an empty slice.
pub fn flip_bit(bytes: &mut [u8], bit: usize) {
    if bytes.is_empty() {
        return;
    }
    let bit = bit % (bytes.len() * 8);
    bytes[bit / 8] ^= 1 << (bit % 8);
}
