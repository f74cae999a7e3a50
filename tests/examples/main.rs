//! The examples' own code, compiled into tests: the arena's default run and its command line.

mod arena;

// The arena's modules name each other `crate::…`: bring them to the root.
use arena::{args, bot, channels, host, phase, report, session, traffic};

mod exits_zero;
mod refuses_bad_arguments;
