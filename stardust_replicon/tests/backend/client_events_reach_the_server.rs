//! Events clients trigger with replicon's client events reach the server's observers, each
//! attributed to the Stardust peer entity of the client that sent it, in send order.

use crate::support::{Input, Inputs, link_app, run_until, until_authorized};
use bevy::prelude::*;
use bevy_replicon::prelude::*;
use stardust_replicon::connect_link;

#[test]
fn client_events_reach_the_server_from_the_right_peer() {
    let (mut server, mut one, mut two) = (link_app(), link_app(), link_app());
    let (one_on_server, _) = connect_link(&mut server, &mut one);
    let (two_on_server, _) = connect_link(&mut server, &mut two);
    until_authorized(&mut server, &mut one, &mut two);

    for step in [1, 2, 3] {
        one.world_mut().commands().client_trigger(Input { step });
    }
    two.world_mut().commands().client_trigger(Input { step: -1 });
    let apps = &mut [&mut server, &mut one, &mut two];
    assert!(run_until(apps, |apps| apps[0].world().resource::<Inputs>().0.len() == 4));

    let inputs = &server.world().resource::<Inputs>().0;
    let from = |peer: Entity| -> Vec<i32> {
        inputs.iter().filter(|(client, _)| *client == peer).map(|(_, input)| input.step).collect()
    };
    assert_eq!(from(one_on_server), vec![1, 2, 3]);
    assert_eq!(from(two_on_server), vec![-1]);
}
