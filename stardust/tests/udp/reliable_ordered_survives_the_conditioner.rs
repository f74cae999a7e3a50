//! A reliable ordered channel through 20 % loss each way, 20 ± 10 ms of latency and 5 %
//! duplication on the listener's ports (seeded), over UDP on 127.0.0.1: every message
//! arrives exactly once, in order, both ways, within the deadline.

use std::time::Duration;

use crate::scenarios::*;
use crate::support::*;
use bevy::prelude::*;
use stardust::prelude::*;

const MESSAGES: u32 = 1_000;

fn in_order(app: &App, peer: Entity) -> bool {
    let got = received::<Chat>(app);
    for (i, (from, bytes)) in got.iter().enumerate() {
        assert_eq!(*from, peer);
        assert_eq!(bytes.as_slice(), (i as u32).to_be_bytes(), "message {i} out of order");
    }
    got.len() == MESSAGES as usize
}

#[test]
fn every_reliable_message_arrives_once_in_order_through_loss_jitter_and_duplicates() {
    let bad = Conditions {
        loss: 0.2,
        duplicate: 0.05,
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(10),
    };
    let config = UdpConfig {
        conditioner: NetworkConditioner::both_ways(bad).with_seed(14),
        ..UdpConfig::loopback(2)
    };
    let mut listener = app_with(config);
    let mut client = connecting_app();
    let (outgoing, accepted) = connect_one(&mut listener, &mut client);
    for start in (0..MESSAGES).step_by(100) {
        let batch = |peer| (start..start + 100).map(|i| (peer, i.to_be_bytes().to_vec())).collect();
        send_all::<Chat>(&mut client, batch(outgoing));
        send_all::<Chat>(&mut listener, batch(accepted));
        run_rounds(&mut [&mut listener, &mut client], 1);
    }
    let delivered = drive(&mut [&mut listener, &mut client], Duration::from_secs(60), |apps| {
        in_order(apps[0], accepted) && in_order(apps[1], outgoing)
    });
    assert!(
        delivered,
        "listener got {}, client got {}",
        received::<Chat>(&listener).len(),
        received::<Chat>(&client).len()
    );
    // Late duplicates would show up now.
    run_rounds(&mut [&mut listener, &mut client], 30);
    assert!(in_order(&listener, accepted) && in_order(&client, outgoing));
    let transport = listener.world().resource::<UdpTransport>();
    let mut total = stardust::conditioner::ConditionerStats::default();
    for (_, _, stats) in transport.iter_port_stats() {
        total.add(&stats.conditioner);
    }
    assert!(total.inbound.dropped > 0 && total.outbound.dropped > 0, "{total:?}");
    assert!(total.inbound.duplicated + total.outbound.duplicated > 0, "{total:?}");
    assert!(is_connected(&listener, accepted) && is_connected(&client, outgoing));
}
