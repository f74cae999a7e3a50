//! The accept pass: the listen port's valid requests become peer entities on the least
//! loaded peer port.

use std::time::Instant;

use bevy::ecs::system::Commands;

use super::Peers;
use crate::peer::DisconnectReason;
use crate::udp::peer::{UdpDirection, UdpPeer, UdpTicket};
use crate::udp::transport::{Accepted, UdpTransport};

/// Turns the listen port's valid requests into peers: spawns each, has the transport seat
/// it and answer it, and gives it its [`UdpPeer`]; a refused request's entity is despawned.
pub(super) fn accept_requests(
    transport: &mut UdpTransport,
    commands: &mut Commands<'_, '_>,
    peers: &mut Peers<'_, '_>,
    now: Instant,
) {
    while let Some(request) = transport.next_request() {
        let from = request.from();
        if request.replaces_existing() {
            // The remote restarted and asks again from the same address: the old connection
            // is gone on its side.
            if let Some(old) = transport.end_peer_at(from)
                && let Ok((mut state, ..)) = peers.get_mut(old)
            {
                state.set_disconnected(DisconnectReason::TransportClosed);
            }
            transport.remove_finished(now);
        }
        let entity = commands.spawn_empty().id();
        match transport.accept(request, entity, now) {
            Accepted::OnPort { port, peer_key, ticket, secure } => {
                let mut spawned = commands.entity(entity);
                spawned.insert(UdpPeer {
                    remote: from,
                    local_port: port,
                    direction: UdpDirection::Accepted,
                    listen_addr: None,
                    peer_key,
                    secure,
                });
                if let Some(ticket) = ticket {
                    spawned.insert(UdpTicket(ticket));
                }
                bevy::log::debug!("accepted peer {entity} from {from} on port {port}");
            }
            Accepted::Refused => commands.entity(entity).despawn(),
        }
    }
    transport.flush_replies(now);
}
