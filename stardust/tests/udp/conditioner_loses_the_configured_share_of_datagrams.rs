//! With 20 % outbound loss configured on the listener (seeded), the datagrams its engine
//! sends to a peer arrive at the other App at about 80 %: measured end to end by the two
//! engines' packet counters over thousands of datagrams, and at the conditioner's own
//! counters on the port.

use std::time::Duration;

use crate::scenarios::*;
use crate::support::*;
use bevy::prelude::*;
use stardust::prelude::*;

/// Unreliable, and large enough that every message fills a datagram of its own.
#[derive(Channel)]
#[channel(unreliable, unordered, max_size = 1100, id = 0x000B20)]
struct Bulk;

const MESSAGES: usize = 3_000;
const PER_FRAME: usize = 50;

#[test]
fn twenty_percent_outbound_loss_loses_about_a_fifth_of_the_datagrams() {
    let lossy = Conditions { loss: 0.2, ..Conditions::default() };
    let conditioner = NetworkConditioner { outbound: lossy, ..NetworkConditioner::OFF };
    let config = UdpConfig { conditioner: conditioner.with_seed(20), ..UdpConfig::loopback(1) };
    let mut listener = app_with(config);
    let mut client = connecting_app();
    for app in [&mut listener, &mut client] {
        app.add_channel::<Bulk>();
        collect::<Bulk>(app);
    }
    let (outgoing, accepted) = connect_one(&mut listener, &mut client);
    let stats = |app: &App, peer| *app.world().get::<UdpPeerStats>(peer).unwrap();
    let (sent_before, received_before) =
        (stats(&listener, accepted).packets_sent, stats(&client, outgoing).packets_received);

    for start in (0..MESSAGES).step_by(PER_FRAME) {
        let batch = (start..start + PER_FRAME).map(|i| (accepted, vec![i as u8; 1000])).collect();
        send_all::<Bulk>(&mut listener, batch);
        run_rounds(&mut [&mut listener, &mut client], 1);
    }
    // Let what is in flight land.
    run_rounds(&mut [&mut listener, &mut client], 20);
    std::thread::sleep(Duration::from_millis(50));
    run_rounds(&mut [&mut client], 5);

    let sent = stats(&listener, accepted).packets_sent - sent_before;
    let received = stats(&client, outgoing).packets_received - received_before;
    assert!(sent >= MESSAGES as u64, "only {sent} datagrams were sent");
    let measured = 1.0 - received as f64 / sent as f64;
    assert!((0.16..=0.24).contains(&measured), "measured loss {measured:.3} ({received}/{sent})");

    let transport = listener.world().resource::<UdpTransport>();
    let port = udp_peer(&listener, accepted).local_port;
    let counted = transport.port_stats(port).unwrap().conditioner.outbound;
    let share = counted.dropped as f64 / counted.offered as f64;
    assert!(counted.offered >= sent, "the conditioner saw {} of {sent}", counted.offered);
    assert!((0.18..=0.22).contains(&share), "dropped {share:.3} at the conditioner: {counted:?}");
    assert_eq!(counted.duplicated + counted.delayed, 0, "only loss was configured");
    assert!(is_connected(&listener, accepted) && is_connected(&client, outgoing));
}
