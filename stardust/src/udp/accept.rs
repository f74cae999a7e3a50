//! The accept pass: the listen port's valid requests become peers on the least loaded
//! peer port.

use std::net::SocketAddr;
use std::time::Instant;

use bevy::ecs::system::Commands;
use serde_json::json;
use stardust_proto::ReasonCode;

use super::io::Peers;
use super::peer::{UdpDirection, UdpPeer};
use super::port_io::PeerSlot;
use super::sync::remove_finished;
use super::transport::UdpTransport;
use crate::peer::DisconnectReason;

/// Turns the listen port's valid requests into peers: spawns each, seats it on the least
/// loaded peer port, answers from the listen port and installs its engine on that port.
pub(super) fn accept_requests(
    transport: &mut UdpTransport,
    commands: &mut Commands<'_, '_>,
    peers: &mut Peers<'_, '_>,
    now: Instant,
) {
    let Some(listener) = transport.listener.as_mut() else { return };
    let mut requests = std::mem::take(&mut listener.requests);
    for request in requests.drain(..) {
        let from = request.from();
        if request.replaces_existing() {
            // The remote restarted and asks again from the same address: the old connection
            // is gone on its side.
            drop_replaced(transport, peers, from);
        }
        let (Some(listener), Some(table)) = (transport.listener.as_mut(), transport.table.as_mut())
        else {
            break;
        };
        let Some(endpoint) = listener.endpoint.as_mut() else { break };
        if table.is_full() {
            let data = json!({ "max_peers": table.max_peers() });
            endpoint.reject(request, ReasonCode::FULL, data, &mut transport.reply);
            listener.send_reply(from, &transport.reply);
            continue;
        }
        let entity = commands.spawn_empty().id();
        let port = match table.assign(entity, from) {
            Ok(port) => port,
            Err(error) => {
                bevy::log::warn!("refusing a peer from {from}: {error}");
                commands.entity(entity).despawn();
                endpoint.reject(request, ReasonCode::FULL, json!(null), &mut transport.reply);
                listener.send_reply(from, &transport.reply);
                continue;
            }
        };
        let accepted =
            endpoint.accept(request, port, transport.seq.next_u16(), &mut transport.reply);
        listener.send_reply(from, &transport.reply);
        let conn = transport.accepted_connection(now, &accepted);
        let io = transport.peer_ports.iter_mut().find(|io| io.port() == port);
        let (Some(conn), Some(io)) = (conn, io) else {
            // No channel table (logged when it failed): undo the seat; the peer times out.
            if let Some(table) = transport.table.as_mut() {
                table.remove(entity);
            }
            endpoint_forget(transport, from);
            commands.entity(entity).despawn();
            continue;
        };
        io.insert(PeerSlot::new(entity, from, None, conn));
        commands.entity(entity).insert(UdpPeer {
            remote: from,
            local_port: port,
            direction: UdpDirection::Accepted,
            listen_addr: None,
        });
        bevy::log::debug!("accepted peer {entity} from {from} on port {port}");
    }
    if let Some(listener) = transport.listener.as_mut() {
        listener.requests = requests;
        listener.flush();
    }
}

fn endpoint_forget(transport: &mut UdpTransport, addr: SocketAddr) {
    if let Some(endpoint) = transport.listener.as_mut().and_then(|l| l.endpoint.as_mut()) {
        endpoint.forget(addr);
    }
}

/// Ends the accepted peer at `from` whose remote side restarted.
fn drop_replaced(transport: &mut UdpTransport, peers: &mut Peers<'_, '_>, from: SocketAddr) {
    for io in &mut transport.peer_ports {
        if let Some(slot) = io.slots.iter_mut().find(|slot| slot.remote == from) {
            slot.finished = true;
            if let Ok((mut state, ..)) = peers.get_mut(slot.entity) {
                state.set_disconnected(DisconnectReason::TransportClosed);
            }
        }
    }
    remove_finished(transport);
}
