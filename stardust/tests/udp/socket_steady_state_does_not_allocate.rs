//! Once the batches exist, queueing, sending, receiving and reading datagrams allocate
//! nothing: the steady state of the transport costs no heap traffic per datagram.

// A counting global allocator needs `unsafe impl GlobalAlloc`; it is confined to this test.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use stardust::udp::{PortSocket, RecvBatch, SendBatch, SocketConfig};

/// Counts the allocations made by the current thread while it is armed, so the test harness's
/// own threads do not disturb the count.
struct CountingAllocator;

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the bookkeeping only
// touches const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ARMED.with(Cell::get) {
            ALLOCATIONS.with(|n| n.set(n.get() + 1));
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ARMED.with(Cell::get) {
            ALLOCATIONS.with(|n| n.set(n.get() + 1));
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
fn a_thousand_round_trips_of_batches_allocate_nothing() {
    let bind = || {
        PortSocket::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), &SocketConfig::default())
            .unwrap()
    };
    let sender = bind();
    let receivers = [bind(), bind()];
    let destinations = [receivers[0].local_addr(), receivers[1].local_addr()];
    let mut send = SendBatch::new(64, 1200);
    let mut recv = RecvBatch::new(64, 1200);
    let payload = [7u8; 64];

    let deadline = Instant::now() + Duration::from_secs(20);
    let mut delivered = 0u64;
    let mut round = |armed: bool| {
        ARMED.with(|a| a.set(armed));
        for i in 0..32 {
            send.push(destinations[i % 2], &payload).unwrap();
        }
        while !send.is_empty() && Instant::now() < deadline {
            sender.send_batch(&mut send).unwrap();
        }
        for receiver in &receivers {
            let mut got = 0;
            while got < 16 && Instant::now() < deadline {
                receiver.recv_batch(&mut recv).unwrap();
                got += recv.iter().map(|d| d.bytes.len() / 64).sum::<usize>();
            }
            delivered += got as u64;
        }
        ARMED.with(|a| a.set(false));
    };
    for _ in 0..10 {
        round(false);
    }
    for _ in 0..1000 {
        round(true);
    }
    assert_eq!(delivered, 1010 * 32, "datagrams were lost on loopback");
    assert_eq!(ALLOCATIONS.with(Cell::get), 0, "the steady state allocated");
}
