//! Spoofed requests while serving peers, and a genuine client connecting meanwhile.

use stardust::udp::UdpSecurity;

use super::{Report, load_rows};
use crate::scenarios::{flood, load};
use crate::{Better, Row, Settings, format_value};

/// Offered rate of the paced request flood: under what the listen port answers at 60 frames
/// per second (16 batches of 64 per frame, about 61,000 per second).
const PACED_FLOOD: f64 = 20_000.0;

/// Spoofed requests while serving: 256 peers x 60 msgs/s on a secure listener in the server
/// setup, with a flood of requests that never prove their address during the timed part
/// (paced at [`PACED_FLOOD`], then as fast as one socket sends) and a genuine client
/// connecting meanwhile.
pub(super) fn run(settings: &Settings, raw_rate: f64, rows: &mut Vec<Row>, report: &mut Report) {
    let seconds = settings.seconds(10.0, 5.0);
    for (label, rate) in [("paced", Some(PACED_FLOOD)), ("unpaced", None)] {
        let name = format!("256 peers x 60 msgs/s, server setup, secure, {label} request flood");
        let result = load::run(256, 60.0, seconds, true, UdpSecurity::Secure, Some(rate));
        let flooded =
            result.as_ref().ok().and_then(|l| l.flood.clone().map(|f| (f, l.absorbed_per_sec())));
        load_rows(report, rows, raw_rate, &name, result, 60.0, false);
        let Some((flood, absorbed)) = flooded else { continue };
        let offered = flood.sent.requests as f64 / flood.sent.elapsed.as_secs_f64().max(1e-9);
        rows.push(Row {
            name: format!("spoofed requests answered per second while serving 256 peers, {label}"),
            value: absorbed,
            unit: "requests/s",
            baseline: Some(offered),
            better: Better::Higher,
        });
        report.notes.push(format!(
            "{label} request flood: {} requests sent ({} per second offered, one thread), {} \
             answered by the listener ({} retries, {} handshakes, {} peers accepted: the \
             genuine client only), {} replies received, the largest {} B for requests of {} B",
            format_value(flood.sent.requests as f64),
            format_value(offered),
            format_value(flood.endpoint.zero.sent as f64),
            format_value(flood.endpoint.retries as f64),
            flood.endpoint.handshakes,
            flood.endpoint.accepted,
            format_value(flood.sent.replies as f64),
            flood.sent.largest_reply,
            flood.sent.smallest_request,
        ));
        let window = seconds - flood::GENUINE_DELAY.as_secs_f64();
        let genuine = flood.genuine.connect_time;
        let why = flood.genuine.state.clone().unwrap_or_default();
        let figure = genuine
            .map_or(format!("not within the flood's last {window:.0} s ({why})"), |t| {
                format!("in {:.0} ms", t.as_secs_f64() * 1e3)
            });
        let no_flood_peer = flood.endpoint.accepted <= 1;
        report.check(
            &format!("{label} flood: a genuine client connects; no flood request is accepted"),
            format!("{figure}; {} accepted", flood.endpoint.accepted),
            "connects; <= 1 accepted",
            // Paced below what the port answers, the client must get in; unpaced, the
            // kernel drops most datagrams before anyone reads them, the client's too, and
            // its connect time is what the figure reports.
            no_flood_peer && (genuine.is_some() || rate.is_none()),
        );
        report.check(
            &format!("{label} flood: at most one reply per request, never larger"),
            format!(
                "{} replies to {} requests, largest {} B vs {} B",
                flood.sent.replies,
                flood.sent.requests,
                flood.sent.largest_reply,
                flood.sent.smallest_request
            ),
            "<= 1 per request, <= its size",
            flood.sent.replies <= flood.sent.requests
                && flood.sent.largest_reply <= flood.sent.smallest_request,
        );
    }
}
