//! What a tool or a client in another language needs to talk to an App: each registered
//! channel's id (in hex, and the three bytes it is written as on the wire, which are the id
//! plus one, big-endian), its delivery contract, and the protocol hash both sides must share.
//!
//! Shared by the `arena` and `channels` examples (`channels` includes this file).

use std::fmt::Write as _;

use bevy::prelude::*;
use stardust::prelude::*;

/// The channel table and protocol hash of the App whose world is `world`, one channel per
/// line in id order, e.g.
///
/// ```text
/// id        wire      reliability  ordering    max_size  priority  type
/// 0x00A001  00 A0 02  Reliable     Ordered          509         0  arena::channels::Chat
/// protocol hash: 9b1c0e55d2a4f7e0
/// ```
pub fn describe(world: &World) -> String {
    let mut out = format!(
        "{:<8}  {:<8}  {:<11}  {:<10}  {:>8}  {:>8}  type\n",
        "id", "wire", "reliability", "ordering", "max_size", "priority"
    );
    let registry = world.resource::<ChannelRegistry>();
    let mut entries: Vec<_> =
        registry.iter().map(|entry| (entry.id, entry.config, entry.type_name)).collect();
    entries.sort_by_key(|(id, _, _)| id.get());
    for (id, config, name) in entries {
        let wire = id.to_wire();
        let _ = writeln!(
            out,
            "{:<8}  {:02X} {:02X} {:02X}  {:<11}  {:<10}  {:>8}  {:>8}  {name}",
            id.to_string(),
            wire[0],
            wire[1],
            wire[2],
            format!("{:?}", config.reliability),
            format!("{:?}", config.ordering),
            config.max_size,
            config.priority,
        );
    }
    let _ = writeln!(out, "protocol hash: {}", world.resource::<ProtocolHash>());
    out
}
