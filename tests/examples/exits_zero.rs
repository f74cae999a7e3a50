//! The arena example's default run (a listener with 4 peer ports and 12 bots in one App,
//! over real UDP on 127.0.0.1) ends with every reliable message delivered both ways and the
//! bots spread 3/3/3/3 over the ports: what `cargo run --release --example arena` checks
//! before exiting 0, here with a shorter play time.

use crate::session::{self, Options};

#[test]
fn arena_delivers_every_reliable_message_and_spreads_bots_evenly() {
    let options = Options { seconds: Some(1.5), ..Options::default() };
    let outcome = session::run_bots(&options).expect("the arena starts on 127.0.0.1");
    assert!(outcome.problems.is_empty(), "the arena would exit 1: {:#?}", outcome.problems);
    let loads: Vec<usize> = outcome.port_loads.iter().map(|(_, n)| *n).collect();
    assert_eq!(loads, vec![3, 3, 3, 3], "ports: {:?}", outcome.port_loads);
    // 12 bots for 1.5 s: at least a few chat lines each, relayed to all 12, plus events.
    assert!(outcome.reliable_received > 12 * 12 * 5, "only {}", outcome.reliable_received);
}
