//! The examples' own code, compiled into tests: the arena's default run and its command line.

mod arena;

// The arena's modules name each other `crate::…`: bring them to the root.
use arena::{args, bot, channels, describe, host, phase, report, session, traffic};

mod bots_check_every_relayed_line;
mod bots_stop_when_the_listener_goes;
mod describes_the_channels;
mod exits_zero;
mod refuses_bad_arguments;
mod relay_fits_every_accepted_line;
