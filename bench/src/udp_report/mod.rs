//! Runs the Stardust-over-UDP scenarios asked for, adds their rows (each beside the std-UDP
//! baseline of the same run) and checks each figure against its target (issues 5 and 12).
//! The echo and the flood, which run several setups each, are in `echo.rs` and `flood.rs`.

use std::time::Duration;

mod echo;
mod flood;

use stardust::udp::UdpSecurity;

use crate::raw_udp::OneWay;
use crate::scenarios::{floor, load, stream};
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
        echo::run(settings, rows, &mut report);
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
        flood::run(settings, raw_rate, rows, &mut report);
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
