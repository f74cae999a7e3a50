//! The data path of one connection: game packets in, game packets out.

mod receive;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::ack::ReceivedPackets;
use crate::channel_table::ChannelTable;
use crate::fragment::Reassembler;
use crate::ordering::ChannelRecv;
use crate::packet::{
    ACK_BLOCK_LEN, AckBlock, FRAGMENT_FRAME_HEADER_LEN, FRAME_HEADER_LEN, MAX_ACK_BLOCKS,
    MAX_DATA_ACK_BLOCKS, MAX_DATA_HEADER_LEN, PACKET_HEADER_BASE_LEN, PacketType, encode_header,
};
use crate::rtt::RttEstimator;
use crate::send_error::SendError;
use crate::send_queue::SendQueue;
use crate::sent_packets::SentPackets;
use crate::session_config::SessionConfig;
use crate::stats::{DropReason, SessionStats};
use crate::{ChannelId, Reliability};

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
    last_received: Instant,
    next_sweep: Instant,
    delivered: VecDeque<(ChannelId, Bytes)>,
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
        let mut config = config;
        config.mtu = config.mtu.clamp(256, 65507);
        config.channel_queue_messages = config.channel_queue_messages.max(1);
        // Timer settings are added to instants; bounding them keeps that arithmetic from
        // overflowing whatever the caller configured.
        let day = Duration::from_secs(86_400);
        for d in [
            &mut config.keepalive_interval,
            &mut config.max_ack_delay,
            &mut config.initial_rtt,
            &mut config.min_rto,
            &mut config.max_rto,
            &mut config.unreliable_fragment_timeout,
        ] {
            *d = (*d).min(day);
        }
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
            sent: SentPackets::default(),
            rtt,
            next_seq: local_seq,
            in_flight: 0,
            backoff: 0,
            heard_since_loss: true,
            ack_pending: 0,
            ack_deadline: None,
            blocks: Vec::new(),
            last_sent: now,
            last_received: now,
            next_sweep: now + FRAGMENT_SWEEP,
            delivered: VecDeque::new(),
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

    /// Queues a message on `channel`. Errors: unknown channel, larger than the channel's
    /// `max_size`, or the channel's queue is full (retry once the peer has caught up).
    pub fn send(&mut self, channel: ChannelId, payload: Bytes) -> Result<(), SendError> {
        let index = self.channels.index_of(channel).ok_or(SendError::UnknownChannel(channel))?;
        let config = self.channels.config_at(index);
        let max = (config.max_size as usize).min(self.fragment_size * u16::MAX as usize);
        if payload.len() > max {
            return Err(SendError::TooLarge { channel, size: payload.len(), max });
        }
        let queue = &mut self.send[index];
        let (bytes, messages) = queue.held();
        if messages >= self.config.channel_queue_messages
            || (bytes > 0 && bytes + payload.len() > self.config.channel_queue_bytes)
        {
            return Err(SendError::QueueFull(channel));
        }
        queue.push(payload, self.single_frame_max, self.fragment_size);
        self.stats.messages_sent += 1;
        Ok(())
    }

    /// Feeds one game datagram from the peer (its first three bytes are not `00 00 00`).
    /// Bad input is dropped and counted in [`SessionStats::drops`]; nothing panics.
    pub fn handle_datagram(&mut self, now: Instant, datagram: &[u8]) {
        self.now = now;
        if let Err(reason) = self.receive(now, datagram) {
            self.stats.drops.add(reason);
        }
    }

    fn refresh_rtt_stats(&mut self) {
        self.stats.rtt = self.rtt.smoothed();
        self.stats.rtt_variance = self.rtt.variance();
        self.stats.rto = self.effective_rto();
        self.stats.bytes_in_flight = self.in_flight;
    }

    /// The resend timeout in force: the RTT-derived RTO, doubled for each consecutive timeout
    /// during which nothing arrived from the peer (so a silent peer is not flooded), at most
    /// `max_rto`.
    fn effective_rto(&self) -> Duration {
        (self.rtt.rto() * (1 << self.backoff)).min(self.config.max_rto.max(self.rtt.rto()))
    }

    fn detect_lost(&mut self, now: Instant) {
        let rto = self.effective_rto();
        let send = &mut self.send;
        let lost = self.sent.detect_lost(now, rto, |piece| {
            if let Some(q) = send.get_mut(piece.channel as usize) {
                q.on_lost(piece);
            }
        });
        if lost > 0 {
            if !self.heard_since_loss {
                self.backoff = (self.backoff + 1).min(MAX_BACKOFF);
            }
            self.heard_since_loss = false;
        }
        self.stats.packets_declared_lost += lost;
        self.stats.rto = self.effective_rto();
        self.stats.packets_lost = self.sent.lost_total;
        self.stats.packet_loss = self.sent.loss;
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

    /// Writes the next datagram to send into `buf` (cleared first); returns `false` when
    /// nothing is due. Call it until it returns `false`.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> bool {
        self.now = now;
        self.detect_lost(now);
        buf.clear();
        let (in_flight, window) = (self.in_flight, self.config.send_window);
        let has_data = self.send.iter().any(|q| q.has_work(in_flight, window));
        let ack_due = self.received.owes_acks()
            && (self.ack_pending >= ACK_IMMEDIATELY_AFTER
                || self.ack_deadline.is_some_and(|d| d <= now));
        let keepalive_due = now >= self.last_sent + self.config.keepalive_interval;
        if !has_data && !ack_due && !keepalive_due {
            return false;
        }
        let packet_type =
            if has_data || keepalive_due { PacketType::Data } else { PacketType::Ack };
        let max_blocks = match packet_type {
            PacketType::Data => MAX_DATA_ACK_BLOCKS,
            PacketType::Ack => {
                MAX_ACK_BLOCKS.min((self.config.mtu - PACKET_HEADER_BASE_LEN) / ACK_BLOCK_LEN)
            }
        };
        let mut blocks = std::mem::take(&mut self.blocks);
        self.received.ack_blocks(max_blocks, &mut blocks);
        encode_header(packet_type, self.next_seq, &blocks, buf);
        self.blocks = blocks;
        let mut pieces = self.sent.take_pieces();
        if packet_type == PacketType::Data {
            for &index in &self.send_order {
                let outcome = self.send[index as usize].fill(
                    index,
                    buf,
                    self.config.mtu,
                    &mut self.in_flight,
                    self.config.send_window,
                    &mut pieces,
                );
                self.stats.frames_resent += outcome.resent;
                if buf.len() + FRAME_HEADER_LEN >= self.config.mtu {
                    break;
                }
            }
        }
        self.sent.push(self.next_seq, now, packet_type == PacketType::Data, pieces);
        self.finish_transmit(now, buf.len(), true);
        true
    }

    fn finish_transmit(&mut self, now: Instant, len: usize, carries_current_acks: bool) {
        self.next_seq = self.next_seq.wrapping_add(1);
        self.last_sent = now;
        if carries_current_acks {
            self.ack_pending = 0;
            self.ack_deadline = None;
        }
        self.stats.packets_sent += 1;
        self.stats.bytes_sent += len as u64;
        self.stats.bytes_in_flight = self.in_flight;
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
        if (self.ack_pending >= ACK_IMMEDIATELY_AFTER && self.received.owes_acks())
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
