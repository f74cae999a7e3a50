//! Runs the Stardust-over-UDP scenarios asked for, adds their rows (each beside the std-UDP
//! baseline of the same run) and checks each figure against its target from issue 5.

use std::time::Duration;

use crate::raw_udp::{self, OneWay};
use crate::round_trips::Trips;
use stardust::udp::UdpSecurity;

use crate::scenarios::{echo, flood, floor, load, stream};
use crate::stardust_udp;
use crate::{Better, Row, Settings, format_value};

/// Reliable-ordered throughput target, as a multiple of raw 64 B datagrams/s.
const THROUGHPUT_TARGET: f64 = 6.0;
/// Secure throughput target, as a multiple of the insecure figure of the same run.
const SECURE_THROUGHPUT_TARGET: f64 = 0.8;
/// Rounds the secure and insecure throughputs are interleaved in.
const THROUGHPUT_ROUNDS: usize = 2;
/// Listener CPU target, in ms per peer-second.
const CPU_TARGET_MS: f64 = 0.5;
/// Echo median target, as a multiple of the raw ping-pong median.
const ECHO_TARGET: f64 = 2.0;
/// Busy poll of both Apps in the echo judged against [`ECHO_TARGET`] (see
/// `UdpConfig::busy_poll`): longer than a round trip, so each App is polling its socket when
/// the other's datagram lands, as the raw ping-pong's threads are.
const ECHO_BUSY_POLL: Duration = Duration::from_micros(50);
/// Rounds the single-threaded echoes, their floor and their raw ping-pong are interleaved in,
/// so that all of them see the same machine.
const ECHO_ROUNDS: usize = 5;
/// Listener heap target per idle peer, in bytes.
const MEMORY_TARGET: f64 = 4096.0;

/// One figure checked against its target.
struct Check {
    what: String,
    figure: String,
    target: String,
    pass: bool,
}

/// The checks and remarks of the Stardust scenarios.
#[derive(Default)]
pub struct Report {
    checks: Vec<Check>,
    notes: Vec<String>,
    /// Whether every message of every scenario arrived once, in order, with no disconnect.
    intact: bool,
}

impl Report {
    fn check(&mut self, what: &str, figure: String, target: &str, pass: bool) {
        self.checks.push(Check { what: what.into(), figure, target: target.into(), pass });
    }

    fn delivery(&mut self, what: &str, intact: bool, detail: String) {
        self.intact &= intact;
        self.check(what, detail, "nothing lost, no disconnect", intact);
    }

    /// Whether delivery was intact everywhere (a missed speed target is reported, not fatal).
    pub fn delivered_everything(&self) -> bool {
        self.intact
    }

    /// Prints the remarks, then the table of targets with PASS/FAIL.
    pub fn print(&self) {
        for note in &self.notes {
            println!("  {note}");
        }
        if self.checks.is_empty() {
            return;
        }
        let width = self.checks.iter().map(|c| c.what.len()).max().unwrap_or(0);
        let figure_width = self.checks.iter().map(|c| c.figure.len()).max().unwrap_or(0);
        println!();
        println!("{:<width$}  {:<figure_width$}  {:<28}  result", "target", "measured", "target");
        println!("{}", "-".repeat(width + figure_width + 40));
        for check in &self.checks {
            let result = if check.pass { "PASS" } else { "FAIL" };
            println!(
                "{:<width$}  {:<figure_width$}  {:<28}  {result}",
                check.what, check.figure, check.target
            );
        }
    }
}

fn secs(settings: &Settings, full: f64, quick: f64) -> Duration {
    Duration::from_secs_f64(settings.seconds(full, quick))
}

/// One echo setup: its name in the table, executor, busy poll, and what its runs measured.
struct EchoSetup {
    name: &'static str,
    single_threaded: bool,
    busy_poll: Duration,
    security: UdpSecurity,
    result: Option<echo::Echo>,
    connected: bool,
}

impl EchoSetup {
    fn new(name: &'static str, single_threaded: bool, busy_poll: Duration) -> Self {
        let security = UdpSecurity::Secure;
        Self { name, single_threaded, busy_poll, security, result: None, connected: true }
    }

    fn insecure(mut self) -> Self {
        self.security = UdpSecurity::Insecure;
        self
    }

    fn run(&mut self, round_trips: usize) {
        match echo::run(round_trips, self.single_threaded, self.busy_poll, self.security) {
            Some(run) => match &mut self.result {
                Some(result) => result.extend(run),
                None => self.result = Some(run),
            },
            None => self.connected = false,
        }
    }
}

/// The echo round trips: the multi-threaded App in one run, then the raw ping-pong, the
/// floor and the single-threaded Apps without and with busy polling interleaved in
/// [`ECHO_ROUNDS`] rounds. Every echo row is read against the interleaved ping-pong.
fn run_echo(settings: &Settings, rows: &mut Vec<Row>, report: &mut Report) {
    let trips = (settings.round_trips / 4).max(100);
    let per_round = trips.div_ceil(ECHO_ROUNDS);
    let mut multi = EchoSetup::new("multi-threaded Bevy", false, Duration::ZERO);
    multi.run(trips);
    let mut single = [
        EchoSetup::new("single-threaded Bevy", true, Duration::ZERO),
        EchoSetup::new("single-threaded Bevy, busy_poll 50 us", true, ECHO_BUSY_POLL),
        EchoSetup::new("single-threaded Bevy, busy_poll 50 us, insecure", true, ECHO_BUSY_POLL)
            .insecure(),
    ];
    let (mut raw, mut floor) = (Trips::default(), Some(Trips::default()));
    for _ in 0..ECHO_ROUNDS {
        raw.extend(raw_udp::std_ping_pong_trips(per_round));
        floor = floor.zip(floor::run(per_round)).map(|(mut all, run)| {
            all.extend(run);
            all
        });
        single.iter_mut().for_each(|setup| setup.run(per_round));
    }
    let raw = raw.rtt();
    rows.extend(raw.rows("ping-pong 64 B: std, busy poll, interleaved with the echoes", None));
    let floor = floor.map(|floor| floor.rtt());
    if let Some(floor) = &floor {
        rows.extend(floor.rows(
            "echo 64 B: floor (bare single-threaded Apps, std UDP), send to read",
            Some(&raw),
        ));
    }
    for setup in std::iter::once(&multi).chain(&single) {
        let name = setup.name;
        let Some(echo) = &setup.result else {
            report.delivery(&format!("echo, {name}: connect"), false, "no connection".into());
            continue;
        };
        let rtt = echo.send_to_read.rtt();
        rows.extend(rtt.rows(
            &format!("echo 64 B: Stardust reliable-ordered, {name}, send to read"),
            Some(&raw),
        ));
        rows.extend(
            echo.whole_frames
                .rtt()
                .rows(&format!("echo 64 B: same, {name}, whole frames at both ends"), Some(&raw)),
        );
        report.notes.push(format!(
            "echo, {name}: the client's idle frame (app.update(), nothing to send or receive) \
             takes {:.1} us median; a bare App::new() {:.1} us",
            us(echo.frames.stardust),
            us(echo.frames.bare)
        ));
        let ratio = rtt.median.as_secs_f64() / raw.median.as_secs_f64();
        if let (true, Some(floor)) = (setup.single_threaded, &floor) {
            report.notes.push(format!(
                "echo, {name}: {ratio:.2}x raw; the floor (the same two Apps' frames with a \
                 bare std-UDP transport, no busy polling) is {:.1} us median = {:.2}x raw; \
                 Stardust is {:.2}x the floor",
                us(floor.median),
                floor.median.as_secs_f64() / raw.median.as_secs_f64(),
                rtt.median.as_secs_f64() / floor.median.as_secs_f64().max(1e-12),
            ));
        }
        if setup.busy_poll == ECHO_BUSY_POLL && setup.security == UdpSecurity::Secure {
            report.check(
                &format!("echo median vs raw ping-pong median, {name}"),
                format!("{ratio:.2}x ({:.1} us, p99 {:.1} us)", us(rtt.median), us(rtt.p99)),
                "<= 2x",
                rtt.timed > 0 && ratio <= ECHO_TARGET,
            );
        }
        report.delivery(
            &format!("echo, {name}: delivery"),
            setup.connected && rtt.lost == 0,
            format!("{} timed, {} lost", rtt.timed, rtt.lost),
        );
    }
}

/// Reliable-ordered throughput, one peer to another, secure and insecure interleaved in
/// [`THROUGHPUT_ROUNDS`] rounds (one with `--quick`) so both see the same machine; each
/// figure is the mean of its rounds.
fn run_throughput(settings: &Settings, raw_rate: f64, rows: &mut Vec<Row>, report: &mut Report) {
    let rounds = if settings.quick { 1 } else { THROUGHPUT_ROUNDS };
    let mut rates = [(UdpSecurity::Insecure, Vec::new()), (UdpSecurity::Secure, Vec::new())];
    for _ in 0..rounds {
        for (security, rates) in &mut rates {
            let name = stardust_udp::security_name(*security);
            match stream::run(1, 1, 32_768, secs(settings, 3.0, 1.0), *security) {
                Some(s) => {
                    rates.push(s.per_sec);
                    report.delivery(
                        &format!("throughput, 1 peer, {name}: delivery"),
                        s.intact(),
                        stream_detail(&s),
                    );
                }
                None => report.delivery(
                    &format!("throughput, 1 peer, {name}: connect"),
                    false,
                    "no connection".into(),
                ),
            }
        }
    }
    let mean = |rates: &[f64]| rates.iter().sum::<f64>() / rates.len().max(1) as f64;
    let [(_, insecure), (_, secure)] = &rates;
    let (insecure, secure) = (mean(insecure), mean(secure));
    for (name, rate) in [("insecure", insecure), ("secure", secure)] {
        rows.push(Row {
            name: format!("Stardust reliable-ordered 64 B, 1 peer, {name}"),
            value: rate,
            unit: "msgs/s",
            baseline: Some(raw_rate),
            better: Better::Higher,
        });
    }
    let ratio = secure / raw_rate;
    report.check(
        "secure reliable-ordered msgs/s vs raw datagrams/s",
        format!("{ratio:.2}x ({} msgs/s)", format_value(secure)),
        ">= 6x",
        ratio >= THROUGHPUT_TARGET,
    );
    let ratio = secure / insecure.max(f64::MIN_POSITIVE);
    report.check(
        "secure vs insecure reliable-ordered msgs/s",
        format!("{ratio:.2}x ({} vs {} msgs/s)", format_value(secure), format_value(insecure)),
        ">= 0.8x",
        ratio >= SECURE_THROUGHPUT_TARGET,
    );
}

/// Runs every Stardust scenario `settings` selects, appending rows to `rows`.
pub fn run(settings: &Settings, raw: &OneWay, rows: &mut Vec<Row>) -> Report {
    let mut report = Report { intact: true, ..Report::default() };
    let raw_rate = raw.arrived_per_sec;
    let row = |name: String, value: f64, unit: &'static str, baseline: f64, better| Row {
        name,
        value,
        unit,
        baseline: Some(baseline),
        better,
    };

    if settings.runs("throughput") {
        run_throughput(settings, raw_rate, rows, &mut report);
    }

    if settings.runs("echo") {
        run_echo(settings, rows, &mut report);
    }

    if settings.runs("ports") {
        let mut first = None;
        for ports in [1, 2, 4] {
            let Some(s) =
                stream::run(ports, 64, 65_536, secs(settings, 2.0, 1.0), UdpSecurity::Secure)
            else {
                report.delivery(&format!("{ports} ports: connect"), false, "no connection".into());
                continue;
            };
            rows.push(row(
                format!("Stardust reliable-ordered 64 B, 64 peers, {ports} port(s), secure"),
                s.per_sec,
                "msgs/s",
                raw_rate,
                Better::Higher,
            ));
            let base = *first.get_or_insert(s.per_sec);
            report.notes.push(format!(
                "{ports} peer port(s), 64 peers: {} msgs/s, {:.2}x the 1-port figure",
                format_value(s.per_sec),
                s.per_sec / base
            ));
            report.delivery(
                &format!("{ports} ports, 64 peers: delivery"),
                s.intact(),
                stream_detail(&s),
            );
        }
    }

    if settings.runs("cpu") {
        let seconds = settings.seconds(10.0, 3.0);
        if let Some(bare) = floor::bare_app_cpu_per_second(seconds.min(5.0)) {
            report.notes.push(format!(
                "a bare default App (multi-threaded executor, an empty system in PreUpdate, \
                 Update and PostUpdate) uses {:.1} ms CPU per second at 60 Hz = {:.3} ms per \
                 peer-second spread over 256 peers, before any networking",
                bare.as_secs_f64() * 1e3,
                bare.as_secs_f64() * 1e3 / 256.0
            ));
        }
        let setups = [
            ("server setup (single-threaded schedules), secure", true, UdpSecurity::Secure, true),
            (
                "server setup (single-threaded schedules), insecure",
                true,
                UdpSecurity::Insecure,
                false,
            ),
            ("default App, secure", false, UdpSecurity::Secure, false),
        ];
        for (label, server, security, target) in setups {
            let name = format!("256 peers x 60 msgs/s, {label}");
            let result = load::run(256, 60.0, seconds, server, security, None);
            load_rows(&mut report, rows, raw_rate, &name, result, 60.0, target);
        }
    }

    if settings.runs("memory") {
        for security in [UdpSecurity::Secure, UdpSecurity::Insecure] {
            let name = stardust_udp::security_name(security);
            match load::run(1_000, 0.0, 0.0, false, security, None) {
                Ok(l) => {
                    rows.push(row(
                        format!("listener heap per idle peer, 1,000 peers, {name}"),
                        l.heap_per_peer,
                        "B/peer",
                        0.0,
                        Better::Lower,
                    ));
                    if security == UdpSecurity::Secure {
                        report.check(
                            "listener heap per idle peer (1,000 peers), secure",
                            format!("{:.0} B", l.heap_per_peer),
                            "<= 4096 B",
                            l.heap_per_peer <= MEMORY_TARGET && l.connected == 1_000,
                        );
                    }
                    report.notes.push(format!(
                        "1,000 idle peers, {name}: {} connected in {:.2} s ({:.0} handshakes/s \
                         through real sockets, both sides in one core each), {:.0} B each",
                        l.connected,
                        l.connect_time.as_secs_f64(),
                        l.connected as f64 / l.connect_time.as_secs_f64().max(1e-9),
                        l.heap_per_peer
                    ));
                }
                Err(error) => {
                    report.delivery(&format!("memory, {name}: client process"), false, error)
                }
            }
        }
    }

    if settings.runs("flood") {
        run_flood(settings, raw_rate, rows, &mut report);
    }

    if settings.runs("many") {
        let seconds = settings.seconds(10.0, 3.0);
        load_rows(
            &mut report,
            rows,
            raw_rate,
            "4,096 peers x 20 msgs/s, secure",
            load::run(4_096, 20.0, seconds, false, UdpSecurity::Secure, None),
            20.0,
            false,
        );
    }
    if settings.asked("sweep") {
        let seconds = settings.seconds(5.0, 2.0);
        for peers in [64, 256, 1_024, 4_096] {
            let name = format!("{} peers x 20 msgs/s", thousands(peers));
            load_rows(
                &mut report,
                rows,
                raw_rate,
                &name,
                load::run(peers, 20.0, seconds, false, UdpSecurity::Secure, None),
                20.0,
                false,
            );
        }
    }
    report
}

/// Offered rate of the paced request flood: under what the listen port answers at 60 frames
/// per second (16 batches of 64 per frame, about 61,000 per second).
const PACED_FLOOD: f64 = 20_000.0;

/// Spoofed requests while serving: 256 peers x 60 msgs/s on a secure listener in the server
/// setup, with a flood of requests that never prove their address during the timed part
/// (paced at [`PACED_FLOOD`], then as fast as one socket sends) and a genuine client
/// connecting meanwhile.
fn run_flood(settings: &Settings, raw_rate: f64, rows: &mut Vec<Row>, report: &mut Report) {
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

/// Rows and checks of a many-peer run. The baseline is what receiving the same message rate
/// as raw datagrams would cost: the inverse of the std one-way rate, per message.
fn load_rows(
    report: &mut Report,
    rows: &mut Vec<Row>,
    raw_rate: f64,
    name: &str,
    result: Result<load::Load, String>,
    rate: f64,
    cpu_target: bool,
) {
    let l = match result {
        Ok(l) => l,
        Err(error) => return report.delivery(&format!("{name}: client process"), false, error),
    };
    let raw_ms = rate * 1e3 / raw_rate;
    rows.push(Row {
        name: format!("listener CPU, {name}"),
        value: l.cpu_ms_per_peer_second(),
        unit: "ms CPU/peer-s",
        baseline: Some(raw_ms),
        better: Better::Lower,
    });
    if cpu_target {
        report.check(
            &format!("listener CPU, {name}"),
            format!("{:.3} ms/peer-s", l.cpu_ms_per_peer_second()),
            "<= 0.5 ms/peer-s",
            l.cpu_ms_per_peer_second() <= CPU_TARGET_MS,
        );
    }
    report.notes.push(format!(
        "{name}: {}/{} connected in {:.2} s; listener used {:.2} s CPU in {:.1} s ({:.0}% of one core); \
         the connecting process used {:.2} s CPU in all",
        l.connected,
        l.peers,
        l.connect_time.as_secs_f64(),
        l.cpu.as_secs_f64(),
        l.measured.as_secs_f64(),
        l.cpu_percent(),
        l.child_cpu.as_secs_f64()
    ));
    report.delivery(
        &format!("{name}: delivery"),
        l.intact(),
        format!(
            "sent {} read {} reordered {}; connected at end {}/{} (listener), {}/{} (client)",
            l.sent,
            l.received,
            l.out_of_order,
            l.connected_at_end.0,
            l.peers,
            l.connected_at_end.1,
            l.peers
        ),
    );
}

fn stream_detail(s: &stream::Stream) -> String {
    format!(
        "sent {} read {} reordered {}; connected at end {}/{} (sender), {}/{} (listener)",
        s.sent,
        s.received,
        s.out_of_order,
        s.connected_at_end.0,
        s.peers,
        s.connected_at_end.1,
        s.peers
    )
}

/// `peers` with thousands separators and no decimals.
fn thousands(peers: usize) -> String {
    if peers >= 1_000 { format_value(peers as f64) } else { peers.to_string() }
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
