//! Per-port traffic rates in Bevy diagnostics.

use std::time::Instant;

use bevy::diagnostic::{Diagnostic, DiagnosticMeasurement, DiagnosticPath, DiagnosticsStore};
use bevy::ecs::resource::Resource;

use super::socket::UdpPortStats;
use super::transport::UdpTransport;

/// The per-second rates measured for each listen and peer port, one diagnostic each:
/// `stardust/udp/port/<port>/packets_in`, `…/packets_out`, `…/bytes_in`, `…/bytes_out`.
///
/// Registered by [`UdpPlugin`](super::UdpPlugin) for the ports bound at startup and measured
/// every frame (at the end of [`StardustSet::Send`](crate::plugin::StardustSet::Send)) as the change
/// of the port's [`UdpPortStats`] counters divided by the time since the last measurement.
/// Read them from `DiagnosticsStore` (e.g. `smoothed()`), or print them with Bevy's
/// `LogDiagnosticsPlugin`. Client ports come and go and are not measured.
#[derive(Resource, Debug)]
pub struct UdpDiagnostics {
    ports: Vec<PortDiagnostics>,
    last: Option<Instant>,
}

#[derive(Debug)]
struct PortDiagnostics {
    port: u16,
    paths: [DiagnosticPath; 4],
    last: UdpPortStats,
}

impl UdpDiagnostics {
    /// The metric names, in the order of [`path`](Self::path)'s `metric` argument.
    pub const METRICS: [&'static str; 4] = ["packets_in", "packets_out", "bytes_in", "bytes_out"];

    /// The diagnostic path of `metric` (one of [`METRICS`](Self::METRICS)) for `port`.
    pub fn path(port: u16, metric: &str) -> DiagnosticPath {
        DiagnosticPath::new(format!("stardust/udp/port/{port}/{metric}"))
    }

    /// Diagnostics for `ports`, and the [`Diagnostic`]s to register for them.
    pub(crate) fn new(ports: impl IntoIterator<Item = u16>) -> (Self, Vec<Diagnostic>) {
        let mut registered = Vec::new();
        let ports = ports
            .into_iter()
            .map(|port| {
                let paths = Self::METRICS.map(|metric| Self::path(port, metric));
                for (path, metric) in paths.iter().zip(Self::METRICS) {
                    let suffix = if metric.starts_with("bytes") { " B/s" } else { "/s" };
                    registered.push(Diagnostic::new(path.clone()).with_suffix(suffix));
                }
                PortDiagnostics { port, paths, last: UdpPortStats::default() }
            })
            .collect();
        (Self { ports, last: None }, registered)
    }

    /// The ports measured.
    pub fn ports(&self) -> impl ExactSizeIterator<Item = u16> + '_ {
        self.ports.iter().map(|p| p.port)
    }
}

impl UdpDiagnostics {
    /// Measures every registered port's rates since the previous call; the send system calls
    /// it once per frame, after the datagrams of the frame left.
    ///
    /// Writes straight into the [`DiagnosticsStore`]: Bevy's `Diagnostics` param would clone
    /// each (heap-allocated, since per-port) path into its queue every frame, four per port.
    pub(crate) fn measure(&mut self, transport: &UdpTransport, store: &mut DiagnosticsStore) {
        let now = Instant::now();
        let Some(last) = self.last.replace(now) else {
            for port in &mut self.ports {
                port.last = transport.port_stats(port.port).unwrap_or_default();
            }
            return;
        };
        let seconds = now.duration_since(last).as_secs_f64();
        if seconds <= 0.0 {
            return;
        }
        for port in &mut self.ports {
            let Some(stats) = transport.port_stats(port.port) else { continue };
            let deltas = [
                stats.packets_in - port.last.packets_in,
                stats.packets_out - port.last.packets_out,
                stats.bytes_in - port.last.bytes_in,
                stats.bytes_out - port.last.bytes_out,
            ];
            for (path, delta) in port.paths.iter().zip(deltas) {
                if let Some(diagnostic) = store.get_mut(path).filter(|d| d.is_enabled) {
                    diagnostic.add_measurement(DiagnosticMeasurement {
                        time: now,
                        value: delta as f64 / seconds,
                    });
                }
            }
            port.last = stats;
        }
    }
}
