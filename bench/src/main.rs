//! Stardust benchmark: raw UDP baselines measured in the same run, and beside each the figure
//! of a Stardust layer, so every number reads as a ratio.
//!
//! ```text
//! cargo run --release -p stardust_bench
//! cargo run --release -p stardust_bench -- --quick
//! cargo run --release -p stardust_bench -- --only raw,throughput,echo
//! cargo run --release -p stardust_bench -- --seconds 1 --round-trips 5000
//! ```
//!
//! Scenarios (`--only` takes a comma-separated list; default all): `raw` (std-UDP, batched
//! and quinn-udp baselines), `throughput` (reliable-ordered messages/s, one peer to
//! another), `echo` (round trip), `ports` (throughput of 64 peers on 1, 2 and 4 peer ports),
//! `cpu` (listener CPU with 256 peers × 60 msgs/s), `memory` (1,000 idle peers), secure and
//! insecure beside each other where it matters,
//! `many` (4,096 peers × 20 msgs/s), `flood` (spoofed requests while serving 256 peers);
//! and, only when named, `sweep` (listener CPU at 64, 256,
//! 1,024 and 4,096 peers × 20 msgs/s, for the plot). `--quick` shortens every timed part;
//! `--csv PATH` also writes the table as CSV (read by `docs/bench_plot.py`).
//!
//! Every loop is bounded in count and in time. On a loaded machine the busy-polling figures
//! need a free core per thread; read them as ratios to the baseline of the same run.

mod alloc_count;
mod client_process;
mod quinn_udp_path;
mod raw_udp;
mod round_trips;
mod stardust_udp;
mod thread_cpu;
mod scenarios {
    pub mod echo;
    pub mod flood;
    pub mod floor;
    pub mod load;
    pub mod stream;
}
mod udp_report;

use std::time::Duration;

/// What one run measures, from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long each one-way throughput measurement sends for.
    pub send_for: Duration,
    /// How many round trips each ping-pong measurement times (after a warm-up).
    pub round_trips: usize,
    /// Shorter timed parts for every Stardust scenario.
    pub quick: bool,
    /// The scenarios to run, or `None` for all.
    pub only: Option<Vec<String>>,
    /// Where to write the table as CSV too (`--csv PATH`), for `docs/bench_plot.py`.
    pub csv: Option<std::path::PathBuf>,
}

impl Settings {
    fn from_args() -> Result<Self, String> {
        let mut settings = Self {
            send_for: Duration::from_secs(2),
            round_trips: 20_000,
            quick: false,
            only: None,
            csv: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            if flag == "--quick" {
                settings.quick = true;
                settings.send_for = Duration::from_secs(1);
                settings.round_trips = 5_000;
                continue;
            }
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--seconds" => {
                    let seconds: f64 =
                        value.parse().map_err(|_| format!("bad --seconds {value}"))?;
                    settings.send_for = Duration::from_secs_f64(seconds.clamp(0.1, 30.0));
                }
                "--round-trips" => {
                    let count: usize =
                        value.parse().map_err(|_| format!("bad --round-trips {value}"))?;
                    settings.round_trips = count.clamp(100, 1_000_000);
                }
                "--csv" => settings.csv = Some(value.into()),
                "--only" => {
                    settings.only = Some(value.split(',').map(str::to_owned).collect());
                }
                _ => {
                    return Err(format!(
                        "unknown flag {flag}; use --quick, --only a,b, --csv PATH, --seconds S, --round-trips N"
                    ));
                }
            }
        }
        Ok(settings)
    }

    /// Whether the scenario `name` runs: named by `--only`, or no `--only` given.
    pub fn runs(&self, name: &str) -> bool {
        self.only.is_none() || self.asked(name)
    }

    /// Whether `--only` names the scenario `name` (for scenarios that never run by default).
    pub fn asked(&self, name: &str) -> bool {
        self.only.as_ref().is_some_and(|only| only.iter().any(|n| n == name))
    }

    /// `full` seconds, or `quick` with `--quick`.
    pub fn seconds(&self, full: f64, quick: f64) -> f64 {
        if self.quick { quick } else { full }
    }
}

/// Whether a larger value of a row is an improvement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// Throughput-like: more is better.
    Higher,
    /// Latency-like: less is better.
    Lower,
}

/// One line of the result table: a figure and, unless it is itself a baseline, the raw-UDP
/// baseline it should be read against.
#[derive(Debug, Clone)]
pub struct Row {
    /// What was measured, and through which layer.
    pub name: String,
    /// The figure.
    pub value: f64,
    /// Its unit.
    pub unit: &'static str,
    /// The raw std-UDP figure of the same kind from this run, or `None` for a baseline row.
    pub baseline: Option<f64>,
    /// Which direction is an improvement.
    pub better: Better,
}

pub(crate) fn print_table(rows: &[Row]) {
    let name_width = rows.iter().map(|r| r.name.len()).max().unwrap_or(0).max(11);
    println!(
        "{:<name_width$}  {:>14}  {:<13}  {:>14}  {:>8}",
        "measurement", "value", "unit", "baseline", "ratio"
    );
    println!("{}", "-".repeat(name_width + 59));
    for row in rows {
        let (baseline, ratio) = match row.baseline {
            Some(base) if base > 0.0 => {
                let ratio = row.value / base;
                let mark = match (row.better, ratio >= 1.0) {
                    (Better::Higher, true) | (Better::Lower, false) => "+",
                    _ => "-",
                };
                (format_value(base), format!("{ratio:.2}x {mark}"))
            }
            Some(_) => ("n/a".to_string(), "n/a".to_string()),
            None => ("(baseline)".to_string(), String::new()),
        };
        println!(
            "{:<name_width$}  {:>14}  {:<13}  {:>14}  {:>8}",
            row.name,
            format_value(row.value),
            row.unit,
            baseline,
            ratio
        );
    }
    println!("ratio = value / baseline; + marks an improvement on the baseline, - a cost.");
}

/// The rows as CSV: `measurement,value,unit,baseline` (baseline empty for baseline rows).
fn csv(rows: &[Row]) -> String {
    let mut out = String::from("measurement,value,unit,baseline\n");
    for row in rows {
        let baseline = row.baseline.map(|b| b.to_string()).unwrap_or_default();
        out.push_str(&format!("\"{}\",{},{},{baseline}\n", row.name, row.value, row.unit));
    }
    out
}

pub(crate) fn format_value(value: f64) -> String {
    if value >= 1000.0 {
        let whole = value.round() as u64;
        let digits = whole.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        grouped
    } else {
        format!("{value:.2}")
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--client") {
        std::process::exit(client_process::main(&args[2..]));
    }
    let settings = match Settings::from_args() {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    println!(
        "stardust bench: 64 B datagrams on 127.0.0.1, one-way for {:.1} s, {} round trips",
        settings.send_for.as_secs_f64(),
        settings.round_trips
    );

    let mut rows = Vec::new();
    // The two baselines every Stardust figure is read against run whatever `--only` says.
    let std_one_way = raw_udp::std_one_way(&settings);
    rows.push(std_one_way.row("one-way 64 B: std send_to / recv_from", None));
    let std_rtt = raw_udp::std_ping_pong(&settings);
    rows.extend(std_rtt.rows("ping-pong 64 B: std, busy poll", None));
    let mut one_ways = vec![("std", std_one_way)];
    let mut rtts = vec![("std", std_rtt)];

    if settings.runs("raw") {
        let batched_one_way = raw_udp::batched_one_way(&settings);
        rows.push(batched_one_way.row(
            "one-way 64 B: PortSocket sendmmsg / recvmmsg",
            Some(std_one_way.arrived_per_sec),
        ));
        let quinn_one_way = quinn_udp_path::one_way(&settings);
        rows.push(
            quinn_one_way.row(
                "one-way 64 B: quinn-udp sendmsg / recvmmsg",
                Some(std_one_way.arrived_per_sec),
            ),
        );
        one_ways.extend([("PortSocket", batched_one_way), ("quinn-udp", quinn_one_way)]);

        let std_cost = raw_udp::std_syscall_cost();
        rows.extend(std_cost.rows("std send_to / recv_from", None));
        let batched_cost = raw_udp::batched_syscall_cost();
        rows.extend(batched_cost.rows("PortSocket sendmmsg / recvmmsg", Some(&std_cost)));
        let quinn_cost = quinn_udp_path::syscall_cost();
        rows.extend(quinn_cost.rows("quinn-udp sendmsg / recvmmsg", Some(&std_cost)));

        let batched_rtt = raw_udp::batched_ping_pong(&settings, 64);
        rows.extend(
            batched_rtt.rows("ping-pong 64 B: PortSocket batch 64, busy poll", Some(&std_rtt)),
        );
        let single_rtt = raw_udp::batched_ping_pong(&settings, 1);
        rows.extend(
            single_rtt.rows("ping-pong 64 B: PortSocket batch 1, busy poll", Some(&std_rtt)),
        );
        rtts.extend([("PortSocket batch 64", batched_rtt), ("PortSocket batch 1", single_rtt)]);
    }

    let report = udp_report::run(&settings, &std_one_way, &mut rows);

    println!();
    print_table(&rows);
    for (name, one_way) in &one_ways {
        println!(
            "  {name}: sent {} datagrams/s, {} arrived ({:.1}% lost in the receive buffer)",
            format_value(one_way.sent_per_sec),
            format_value(one_way.arrived_per_sec),
            one_way.loss_percent()
        );
    }
    for (name, rtt) in &rtts {
        println!("  {name}: {} round trips timed, {} timed out", rtt.timed, rtt.lost);
    }
    report.print();
    if let Some(path) = &settings.csv
        && let Err(error) = std::fs::write(path, csv(&rows))
    {
        eprintln!("cannot write {}: {error}", path.display());
    }
    if !report.delivered_everything() {
        std::process::exit(1);
    }
}
