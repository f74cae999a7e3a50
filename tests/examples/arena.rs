//! The arena example's own modules, compiled into a test as they are into the example.
//!
//! They name each other `crate::…`, so `main.rs` brings them to the test crate's root.

// The example's `main` uses some items (its usage text, the listener-only run) that no test does.
#![allow(dead_code)]

#[path = "../../examples/arena/args.rs"]
pub mod args;
#[path = "../../examples/arena/bot.rs"]
pub mod bot;
#[path = "../../examples/arena/channels.rs"]
pub mod channels;
#[path = "../../examples/arena/describe.rs"]
pub mod describe;
#[path = "../../examples/arena/host.rs"]
pub mod host;
#[path = "../../examples/arena/phase.rs"]
pub mod phase;
#[path = "../../examples/arena/report.rs"]
pub mod report;
#[path = "../../examples/arena/session.rs"]
pub mod session;
#[path = "../../examples/arena/traffic.rs"]
pub mod traffic;
