//! The data path of one established connection: game packets in, game packets out.
//!
//! [`Session`] and its timers live here; `send.rs` builds packets (acks, frames by priority,
//! resends) and `receive.rs` takes them apart (validation, acks, reassembly, delivery order).
//! The other files are the parts both use: which packets were received (`ack`) and sent
//! (`sent_packets`), each channel's send queue and receive order, fragments, RTT.

mod ack;
mod config;
mod fragment;
mod loss_window;
mod ordering;
mod receive;
mod rtt;
mod send;
mod send_error;
mod send_queue;
mod sent_packets;
mod sequence;
mod stats;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use self::ack::ReceivedPackets;
use self::fragment::Reassembler;
use self::ordering::ChannelRecv;
use self::rtt::RttEstimator;
use self::send_queue::SendQueue;
use self::sent_packets::SentPackets;
use crate::channel::{ChannelId, ChannelTable, Reliability};
use crate::wire::packet::{
    AckBlock, FRAGMENT_FRAME_HEADER_LEN, FRAME_HEADER_LEN, MAX_DATA_HEADER_LEN,
};

pub use self::config::SessionConfig;
pub use self::send_error::SendError;
pub use self::stats::{DropCounts, DropReason, LOSS_WINDOW, PacketFates, SessionStats};

/// Data packets received before an ack is sent without waiting for `max_ack_delay`.
const ACK_IMMEDIATELY_AFTER: u32 = 2;
/// Most doublings of the resend timeout while the peer acknowledges nothing.
const MAX_BACKOFF: u32 = 5;
/// How often incomplete unreliable messages are swept.
const FRAGMENT_SWEEP: Duration = Duration::from_millis(100);

/// The reliable, ordered, fragmenting data path between two peers, without I/O.
///
/// Feed it the peer's game datagrams with [`handle_datagram`](Session::handle_datagram), queue
/// messages with [`send`](Session::send), and drain [`poll_transmit`](Session::poll_transmit)
/// and [`poll_message`](Session::poll_message); call [`handle_timeout`](Session::handle_timeout)
/// at [`poll_timeout`](Session::poll_timeout). Time only moves through the `now` arguments.
///
/// Guarantees: reliable messages arrive exactly once (ordered channels in send order);
/// sequenced channels never deliver an older message after a newer one; unreliable channels
/// never deliver a duplicate; no input panics or grows memory beyond the configured limits.
///
/// ```
/// use std::time::{Duration, Instant};
/// use bytes::Bytes;
/// use stardust_proto::{ChannelConfig, ChannelId, ChannelTable, Ordering, Reliability};
/// use stardust_proto::{Session, SessionConfig};
///
/// let chat = ChannelId::new(1).unwrap();
/// let config = ChannelConfig::new(Reliability::Reliable, Ordering::Ordered);
/// let channels = ChannelTable::new([(chat, config)]).unwrap();
/// let start = Instant::now();
/// // The packet numbers come from the handshake: each side's first number, crosswise.
/// let mut a = Session::new(SessionConfig::default(), channels.clone(), start, 100, 200);
/// let mut b = Session::new(SessionConfig::default(), channels, start, 200, 100);
///
/// a.send(chat, Bytes::from_static(b"hello")).unwrap();
/// let now = start + Duration::from_millis(1);
/// let mut datagram = Vec::new();
/// while a.poll_transmit(now, &mut datagram) {
///     b.handle_datagram(now, &datagram); // a real transport sends it over UDP
/// }
/// assert_eq!(b.poll_message(), Some((chat, Bytes::from_static(b"hello"))));
///
/// // B acknowledges (at once after two packets, else after `max_ack_delay`).
/// let later = now + Duration::from_millis(5);
/// while b.poll_transmit(later, &mut datagram) {
///     a.handle_datagram(later, &datagram);
/// }
/// assert!(a.is_flushed());
/// ```
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    channels: ChannelTable,
    now: Instant,
    /// Largest unfragmented payload, and the payload of each fragment.
    single_frame_max: usize,
    fragment_size: usize,
    send: Vec<SendQueue>,
    /// Channel indices, highest priority first.
    send_order: Vec<u32>,
    recv: Vec<ChannelRecv>,
    reassembler: Reassembler,
    buffered: usize,
    received: ReceivedPackets,
    sent: SentPackets,
    rtt: RttEstimator,
    next_seq: u16,
    in_flight: usize,
    /// Consecutive resend timeouts without any packet from the peer in between.
    backoff: u32,
    heard_since_loss: bool,
    ack_pending: u32,
    ack_deadline: Option<Instant>,
    /// Reused buffer for the ack blocks of the packet being built.
    blocks: Vec<AckBlock>,
    last_sent: Instant,
    /// A keep-alive was asked for with `request_keepalive`.
    keepalive_requested: bool,
    last_received: Instant,
    next_sweep: Instant,
    delivered: VecDeque<(ChannelId, Bytes)>,
    /// Reused by `validate_frames`: the shapes of the fragments of the packet being checked.
    shapes: Vec<((u32, u16), fragment::Shape)>,
    stats: SessionStats,
}

impl Session {
    /// A session whose first packet will be number `local_seq`, expecting the peer's first
    /// packet to be `remote_seq` (both exchanged in the handshake).
    pub fn new(
        config: SessionConfig,
        channels: ChannelTable,
        now: Instant,
        local_seq: u16,
        remote_seq: u16,
    ) -> Session {
        let config = config.bounded();
        let single_frame_max = config.mtu - MAX_DATA_HEADER_LEN - FRAME_HEADER_LEN;
        let fragment_size = config.mtu - MAX_DATA_HEADER_LEN - FRAGMENT_FRAME_HEADER_LEN;
        let send = channels
            .iter()
            .map(|(id, c)| SendQueue::new(id, c.reliability == Reliability::Reliable))
            .collect();
        let recv = channels.iter().map(|(id, c)| ChannelRecv::new(id, &c)).collect();
        let mut send_order: Vec<u32> = (0..channels.len() as u32).collect();
        let configs: Vec<_> = channels.iter().map(|(_, c)| c).collect();
        send_order.sort_by_key(|&i| std::cmp::Reverse(configs[i as usize].priority));
        let rtt = RttEstimator::new(&config);
        let stats = SessionStats {
            rtt: rtt.smoothed(),
            rtt_variance: rtt.variance(),
            rto: rtt.rto(),
            ..SessionStats::default()
        };
        Session {
            config,
            channels,
            now,
            single_frame_max,
            fragment_size,
            send,
            send_order,
            recv,
            reassembler: Reassembler::default(),
            buffered: 0,
            received: ReceivedPackets::new(remote_seq),
            sent: SentPackets::new(now),
            rtt,
            next_seq: local_seq,
            in_flight: 0,
            backoff: 0,
            heard_since_loss: true,
            ack_pending: 0,
            ack_deadline: None,
            blocks: Vec::new(),
            last_sent: now,
            keepalive_requested: false,
            last_received: now,
            next_sweep: now + FRAGMENT_SWEEP,
            delivered: VecDeque::new(),
            shapes: Vec::new(),
            stats,
        }
    }

    /// The channels of this session.
    pub fn channels(&self) -> &ChannelTable {
        &self.channels
    }

    /// The configuration in use (with `mtu` clamped to its valid range).
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    fn sweep(&mut self, now: Instant) {
        if now < self.next_sweep {
            return;
        }
        self.next_sweep = now + FRAGMENT_SWEEP;
        let timeout = self.config.unreliable_fragment_timeout;
        for _ in 0..self.reassembler.expire(now, timeout, &mut self.buffered) {
            self.stats.drops.add(DropReason::IncompleteFragments);
        }
    }

    /// The next received message, in its channel's delivery order.
    pub fn poll_message(&mut self) -> Option<(ChannelId, Bytes)> {
        self.delivered.pop_front()
    }

    /// The earliest instant at which [`handle_timeout`](Self::handle_timeout) or
    /// [`poll_transmit`](Self::poll_transmit) has work (resend, ack, keep-alive, queued data).
    /// `None` never happens in practice (the keep-alive is always scheduled).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let (in_flight, window) = (self.in_flight, self.config.send_window);
        if self.keepalive_requested
            || (self.ack_pending >= ACK_IMMEDIATELY_AFTER && self.received.owes_acks())
            || self.send.iter().any(|q| q.has_work(in_flight, window))
        {
            return Some(self.now);
        }
        let keepalive = self.last_sent + self.config.keepalive_interval;
        [self.ack_deadline, self.sent.loss_deadline(self.effective_rto()), Some(keepalive)]
            .into_iter()
            .flatten()
            .min()
    }

    /// Advances timers to `now`: declares unacknowledged packets lost (their reliable frames
    /// will be resent) and drops incomplete unreliable messages that waited too long.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        self.detect_lost(now);
        self.sweep(now);
    }

    /// When the last valid game datagram arrived (for the connection's idle timeout).
    pub fn last_received(&self) -> Instant {
        self.last_received
    }

    /// Whether every reliable message sent so far has been acknowledged (and no unreliable
    /// message is still queued).
    pub fn is_flushed(&self) -> bool {
        self.send.iter().all(SendQueue::is_empty)
    }

    /// Gives back the memory that busy moments grew and an idle peer does not need: spare
    /// room in every queue, window and record. Called when the session goes idle (a
    /// keep-alive is due); nothing it holds is lost.
    fn shrink(&mut self) {
        self.send.iter_mut().for_each(SendQueue::shrink);
        self.recv.iter_mut().for_each(ChannelRecv::shrink);
        self.sent.shrink();
        self.reassembler.shrink();
        self.delivered.shrink_to_fit();
        self.shapes = Vec::new();
    }

    /// Bytes held for reassembly and out-of-order delivery (bounded by
    /// [`SessionConfig::receive_buffer`] plus at most one message per ordered channel).
    pub fn buffered_bytes(&self) -> usize {
        self.buffered
    }

    /// Messages received and not yet taken with [`poll_message`](Self::poll_message).
    pub fn pending_messages(&self) -> usize {
        self.delivered.len()
    }

    /// RTT, loss, traffic counters and dropped input.
    pub fn stats(&self) -> &SessionStats {
        &self.stats
    }
}
