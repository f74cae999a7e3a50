//! Replicon's connection statistics from Stardust's [`PeerStats`].

use bevy::ecs::component::Component;
use bevy::platform::time::Instant;
use bevy_replicon::prelude::ClientStats;
use core::time::Duration;
use stardust::peer::PeerStats;

/// How long the byte counters are watched before a new bytes-per-second figure is taken:
/// long enough to smooth frame-to-frame jitter, short enough to follow a change within a
/// second.
pub const RATE_WINDOW: Duration = Duration::from_millis(250);

/// Bytes per second in each direction, measured over windows of [`RATE_WINDOW`] from a
/// peer's [`PeerStats`] byte counters.
#[derive(Component, Debug, Default, Clone, Copy, PartialEq)]
pub struct ByteRates {
    window: Option<(Instant, u64, u64)>,
    /// Bytes sent per second over the last complete window (0 before the first).
    pub sent_bps: f64,
    /// Bytes received per second over the last complete window (0 before the first).
    pub received_bps: f64,
}

impl ByteRates {
    /// Takes the counters of `stats` at `now`; closes the window when it is
    /// [`RATE_WINDOW`] long.
    pub fn sample(&mut self, stats: &PeerStats, now: Instant) {
        let Some((start, sent, received)) = self.window else {
            self.window = Some((now, stats.bytes_sent, stats.bytes_received));
            return;
        };
        let elapsed = now.saturating_duration_since(start);
        if elapsed < RATE_WINDOW {
            return;
        }
        let seconds = elapsed.as_secs_f64();
        self.sent_bps = stats.bytes_sent.saturating_sub(sent) as f64 / seconds;
        self.received_bps = stats.bytes_received.saturating_sub(received) as f64 / seconds;
        self.window = Some((now, stats.bytes_sent, stats.bytes_received));
    }
}

/// Replicon's view of a connection: RTT in seconds (0 until measured), packet loss in percent
/// (`0.0..=100.0`, as replicon documents it; Stardust's fraction times 100), and the byte rates.
pub fn client_stats(stats: &PeerStats, rates: &ByteRates) -> ClientStats {
    ClientStats {
        rtt: stats.rtt.map_or(0.0, |rtt| rtt.as_secs_f64()),
        packet_loss: f64::from(stats.packet_loss) * 100.0,
        sent_bps: rates.sent_bps,
        received_bps: rates.received_bps,
    }
}
