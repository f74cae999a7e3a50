//! Where the arena run is, and the time the frame loop last measured.

use std::time::Duration;

use bevy::prelude::*;

/// What the bots do in this frame. Set by the frame loop.
#[derive(Resource, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Bots wait for their connections.
    #[default]
    Connecting,
    /// Bots send chat, positions and events.
    Play,
    /// Bots stop sending; what is in flight arrives and is counted.
    Drain,
    /// The run is over and closes its connections: from here a departure is the planned end.
    Done,
}

/// Time since the arena started, set by the frame loop before each frame, so every
/// system of a frame sees the same instant.
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct Clock(pub Duration);
