//! Starting the connections asked for with `connect_udp`.

use std::time::Instant;

use bevy::ecs::system::Commands;

use super::Pending;
use crate::peer::{DisconnectReason, PeerState};
use crate::udp::connect::PendingConnect;
use crate::udp::transport::UdpTransport;

/// Binds and starts the connections asked for with `connect_udp` since the last pass. A
/// connection the game closed before it started ends with the game's reason.
pub(super) fn start_pending(
    transport: &mut UdpTransport,
    pending: &mut Pending<'_, '_>,
    commands: &mut Commands<'_, '_>,
    now: Instant,
) {
    for (entity, pending, mut udp, mut state) in pending.iter_mut() {
        commands.entity(entity).remove::<PendingConnect>();
        if let PeerState::Closing(reason) = &*state {
            let reason = reason.clone();
            state.set_disconnected(reason);
            continue;
        }
        if state.is_closed() {
            continue;
        }
        match transport.start_connect(entity, udp.remote, &pending.0, now) {
            Ok(port) => udp.local_port = port,
            Err(error) => {
                bevy::log::error!("cannot connect to {}: {error}", udp.remote);
                state.set_disconnected(DisconnectReason::TransportClosed);
            }
        }
    }
}

/// Without a transport (its sockets could not be bound; see
/// [`UdpBindFailure`](crate::udp::UdpBindFailure)), every connection asked for ends at once
/// with [`DisconnectReason::TransportClosed`].
pub(super) fn refuse_pending(pending: &mut Pending<'_, '_>, commands: &mut Commands<'_, '_>) {
    for (entity, _, udp, mut state) in pending.iter_mut() {
        commands.entity(entity).remove::<PendingConnect>();
        let reason = match &*state {
            PeerState::Closing(reason) => reason.clone(),
            _ => {
                bevy::log::error!(
                    "cannot connect to {}: the udp transport did not start (see UdpBindFailure)",
                    udp.remote
                );
                DisconnectReason::TransportClosed
            }
        };
        state.set_disconnected(reason);
    }
}
