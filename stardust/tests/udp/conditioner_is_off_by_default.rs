//! An App that sets no conditions has the conditioner off: the resource is
//! `NetworkConditioner::OFF`, and after traffic every port's conditioner counters are zero and
//! nothing is held back.

use crate::scenarios::*;
use crate::support::*;
use stardust::prelude::*;

#[test]
fn no_conditioner_touches_the_datagrams_unless_asked() {
    let mut listener = listener_app(2);
    let mut client = connecting_app();
    let (outgoing, accepted) = connect_one(&mut listener, &mut client);
    for i in 0..50u8 {
        send::<Chat>(&mut client, outgoing, &[i]).unwrap();
        send::<Chat>(&mut listener, accepted, &[i]).unwrap();
    }
    let arrived = drive(&mut [&mut listener, &mut client], DEADLINE, |apps| {
        received::<Chat>(apps[0]).len() == 50 && received::<Chat>(apps[1]).len() == 50
    });
    assert!(arrived);
    for app in [&listener, &client] {
        assert_eq!(*app.world().resource::<NetworkConditioner>(), NetworkConditioner::OFF);
        let transport = app.world().resource::<UdpTransport>();
        assert!(!transport.conditioner().is_active());
        assert_eq!(transport.conditioner_held(), 0);
        for (port, kind, stats) in transport.iter_port_stats() {
            assert_eq!(stats.conditioner, Default::default(), "{kind:?} port {port}");
        }
    }
}
