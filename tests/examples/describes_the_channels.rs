//! `arena --describe` (and the start banner of every arena run) prints what a tool or a
//! client in another language needs: each channel's id in hex and as its 3 wire bytes (the
//! id plus one), its delivery contract, and the protocol hash the App really uses.

use stardust::prelude::*;

use crate::args::parse;
use crate::channels::{Chat, ChatRelay, Events, Positions};
use crate::describe::describe;
use crate::session::{banner, describe_app};

#[test]
fn describe_lists_every_channel_with_its_wire_bytes_and_the_protocol_hash() {
    assert!(parse(["--describe"]).unwrap().describe);
    let app = describe_app();
    let text = describe(app.world());
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 1 + 4 + 1, "{text}");
    let expected = [
        ("0x00A001", "00 A0 02", Chat::CONFIG),
        ("0x00A002", "00 A0 03", Positions::CONFIG),
        ("0x00A003", "00 A0 04", Events::CONFIG),
        ("0x00A004", "00 A0 05", ChatRelay::CONFIG),
    ];
    for (row, (id, wire, config)) in rows[1..5].iter().zip(expected) {
        let fields: Vec<&str> = row.split_whitespace().collect();
        let printed = format!("{:?} {:?}", config.reliability, config.ordering);
        assert_eq!(fields[0], id, "{row}");
        assert_eq!(fields[1..4].join(" "), wire, "{row}");
        assert_eq!(fields[4..6].join(" "), printed, "{row}");
        assert_eq!(fields[6], config.max_size.to_string(), "{row}");
        assert_eq!(fields[7], config.priority.to_string(), "{row}");
    }
    let hash = app.world().resource::<ProtocolHash>().to_string();
    assert_eq!(rows[5], format!("protocol hash: {hash}"));
    assert!(banner(&app).ends_with(&text), "the start banner carries the same table");
}
