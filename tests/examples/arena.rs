//! The arena example's own modules, compiled into a test as they are into the example.
//!
//! They name each other `crate::…`, so a test brings them to its root: `mod arena_support;`
//! then `use arena_support::{bot, channels, host, phase, report, session, traffic};` (and
//! `args` if it reads the command line).

#![allow(dead_code)]

#[path = "../../examples/arena/args.rs"]
pub mod args;
#[path = "../../examples/arena/bot.rs"]
pub mod bot;
#[path = "../../examples/arena/channels.rs"]
pub mod channels;
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
