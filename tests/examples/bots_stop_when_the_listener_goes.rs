//! `arena --connect` bots notice at once when their listener goes away: each prints the
//! reason, stops sending, and the run ends early with the lost connections as problems
//! (exit code 1) instead of playing on and failing at the end with an empty table.

use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use stardust::prelude::*;

use crate::session::{self, Mode, Options};

/// Runs an arena listener on 127.0.0.1 for `life` on its own thread, then drops it (it says
/// goodbye to every peer); returns its address.
fn short_lived_listener(life: Duration) -> SocketAddr {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let options = Options { mode: Mode::Listen(any), ports: 1, ..Options::default() };
        let mut app = session::build_app(&options).expect("the listener binds 127.0.0.1");
        let addr = app.world().resource::<UdpTransport>().listen_addr().unwrap();
        tx.send(addr).unwrap();
        let start = Instant::now();
        while start.elapsed() < life {
            app.update();
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    rx.recv_timeout(Duration::from_secs(30)).expect("the listener starts")
}

#[test]
fn bots_stop_and_fail_as_soon_as_their_listener_goes() {
    let addr = short_lived_listener(Duration::from_secs(3));
    let options =
        Options { mode: Mode::Connect(addr), bots: 3, seconds: Some(30.0), ..Options::default() };
    let start = Instant::now();
    let outcome = session::run_bots(&options).expect("the bots start");
    // The listener left after 3 s of a 30 s play: the bots stop well before the end.
    assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
    let lost: Vec<&String> =
        outcome.problems.iter().filter(|p| p.contains("lost its connection during Play")).collect();
    assert_eq!(lost.len(), 3, "{:#?}", outcome.problems);
    assert!(lost.iter().all(|p| p.contains("it stops")), "{lost:#?}");
}
