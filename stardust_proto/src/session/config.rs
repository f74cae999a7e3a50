//! Tunables of the data path.

use std::time::Duration;

/// Configuration of a [`Session`](crate::Session): packet size, timers and memory/queue limits.
///
/// Both peers may use different values; nothing here travels on the wire. The session clamps
/// `mtu` to `256..=65507`, `channel_queue_messages` to at least 1 and every duration to at most
/// one day. A channel always accepts one message when it holds none, whatever the byte caps.
/// [`SessionConfig::default`] suits games on the public internet.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Largest datagram this side sends, in bytes. Default 1200, safe on every internet path.
    /// Clamped to `256..=65507` by the session.
    pub mtu: usize,
    /// Largest datagram accepted from the peer; longer ones are dropped as oversized.
    /// Default 1472, the largest UDP payload of an unfragmented Ethernet frame.
    pub max_incoming_datagram: usize,
    /// Send a keep-alive packet after this long without sending anything. Default 1 s.
    pub keepalive_interval: Duration,
    /// Longest the session waits before acknowledging a received data packet. Default 5 ms.
    pub max_ack_delay: Duration,
    /// RTT assumed before the first measurement. Default 100 ms.
    pub initial_rtt: Duration,
    /// Lower bound of the resend timeout. Default 20 ms.
    pub min_rto: Duration,
    /// Upper bound of the resend timeout. Default 2 s.
    pub max_rto: Duration,
    /// Reliable payload bytes that may be in flight (sent, not acknowledged) at once: the
    /// per-connection send window. New reliable data waits while it is full. Default 512 KiB.
    pub send_window: usize,
    /// Payload bytes a channel may hold queued or unacknowledged before
    /// [`send`](crate::Session::send) reports [`SendError::QueueFull`](crate::SendError::QueueFull).
    /// Default 32 MiB (two of the largest possible messages).
    pub channel_queue_bytes: usize,
    /// Messages a channel may hold queued or unacknowledged before `send` reports a full queue.
    /// Default 65 536.
    pub channel_queue_messages: usize,
    /// Bytes the receiver may hold for reassembly and out-of-order buffering, across all
    /// channels. Past it, packets that would start a new incomplete message or buffer an
    /// out-of-order one are dropped unacknowledged (the sender resends them later); fragments
    /// that continue a started message are taken up to twice this, and the message an ordered
    /// channel waits for always is. Default 64 MiB.
    pub receive_buffer: usize,
    /// How long an incomplete unreliable message is kept waiting for its other fragments.
    /// Default 1 s.
    pub unreliable_fragment_timeout: Duration,
}

impl Default for SessionConfig {
    fn default() -> SessionConfig {
        SessionConfig {
            mtu: 1200,
            max_incoming_datagram: 1472,
            keepalive_interval: Duration::from_secs(1),
            max_ack_delay: Duration::from_millis(5),
            initial_rtt: Duration::from_millis(100),
            min_rto: Duration::from_millis(20),
            max_rto: Duration::from_secs(2),
            send_window: 512 * 1024,
            channel_queue_bytes: 32 * 1024 * 1024,
            channel_queue_messages: 65_536,
            receive_buffer: 64 * 1024 * 1024,
            unreliable_fragment_timeout: Duration::from_secs(1),
        }
    }
}

impl SessionConfig {
    /// This configuration with every value in the range the session works in: the MTU in
    /// `256..=65507`, at least one message per channel queue, and timers of at most a day
    /// (they are added to instants; bounding them keeps that arithmetic from overflowing
    /// whatever the caller configured).
    pub(crate) fn bounded(mut self) -> SessionConfig {
        self.mtu = self.mtu.clamp(256, 65507);
        self.channel_queue_messages = self.channel_queue_messages.max(1);
        let day = Duration::from_secs(86_400);
        for d in [
            &mut self.keepalive_interval,
            &mut self.max_ack_delay,
            &mut self.initial_rtt,
            &mut self.min_rto,
            &mut self.max_rto,
            &mut self.unreliable_fragment_timeout,
        ] {
            *d = (*d).min(day);
        }
        self
    }
}
