//! A link whose Apps set no conditions is the plain message pipe: no engine, no datagrams,
//! and the conditioner's counters stay at zero.

use crate::support::{Chat, Received, run_once, step};
use stardust::prelude::*;

#[test]
fn an_unconditioned_link_hands_messages_over_whole() {
    let mut a = crate::support::app();
    let mut b = crate::support::app();
    let (b_on_a, a_on_b) = crate::support::connect(&mut a, &mut b);
    run_once(&mut a, move |mut chat: ChannelWriter<Chat>| {
        for i in 0..10u32 {
            chat.send(b_on_a, i.to_be_bytes().to_vec()).unwrap();
        }
    });
    step(&mut [&mut a, &mut b]);
    step(&mut [&mut a, &mut b]);
    assert_eq!(b.world().resource::<Received<Chat>>().messages.len(), 10);
    for (app, peer) in [(&a, b_on_a), (&b, a_on_b)] {
        assert_eq!(*app.world().resource::<NetworkConditioner>(), NetworkConditioner::OFF);
        let link = app.world().get::<Link>(peer).unwrap();
        assert!(!link.carries_datagrams(), "off by default: no engine, no datagrams");
        assert_eq!(link.conditioner_stats(), Default::default());
    }
}
