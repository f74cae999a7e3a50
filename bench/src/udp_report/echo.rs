//! The echo round trips, and the floor and raw ping-pong they are read against.

use std::time::Duration;

use stardust::udp::UdpSecurity;

use super::Report;
use crate::raw_udp;
use crate::round_trips::Trips;
use crate::scenarios::{echo, floor};
use crate::{Row, Settings};

/// Echo median target, as a multiple of the raw ping-pong median.
const ECHO_TARGET: f64 = 2.0;
/// Busy poll of both Apps in the echo judged against [`ECHO_TARGET`] (see
/// `UdpConfig::busy_poll`): longer than a round trip, so each App is polling its socket when
/// the other's datagram lands, as the raw ping-pong's threads are.
const ECHO_BUSY_POLL: Duration = Duration::from_micros(50);
/// Rounds the single-threaded echoes, their floor and their raw ping-pong are interleaved in,
/// so that all of them see the same machine.
const ECHO_ROUNDS: usize = 5;
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
pub(super) fn run(settings: &Settings, rows: &mut Vec<Row>, report: &mut Report) {
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

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
