//! The command line, parsed by hand.

use std::net::SocketAddr;
use std::time::Duration;

use stardust::prelude::{PublicKey, resolve_udp_addr};

use crate::session::{Mode, Options};

/// What `--help` and every bad argument print.
pub const USAGE: &str = "\
usage: cargo run --release --example arena -- [OPTIONS]

With no options, runs a listener (4 peer ports) and 12 bots in one process over UDP on
127.0.0.1 for 5 s, every connection encrypted and the listener's key pinned, prints the
channel table and protocol hash, a per-peer table and the port distribution, and exits 0
only if every reliable message arrived (own echoes, event acks, and every line relayed
from every other bot) and no connection was lost. A bot that loses its connection prints
the reason at once and stops.

options:
  --listen ADDR   run only the listener on ADDR (e.g. 127.0.0.1:7777; peer ports are the
                  next --ports ports, or OS-chosen if ADDR's port is 0); prints its public
                  key; runs until Ctrl-C or --seconds, then closes every connection
  --identity FILE the listener's key pair: loaded from FILE, or made and saved there (without
                  it, a new key at every start)
  --connect ADDR  run only the bots, connecting to the listener at ADDR (host:port, e.g.
                  localhost:7777 or [::1]:7777; a name is resolved once, at start)
  --key KEY       the listener's public key, as --listen printed it: the bots then refuse any
                  other listener (without it they take the key the listener presents)
  --bots N        bots to connect (default 12)
  --seconds S     how long bots send, or how long the listener runs (default 5 for bots)
  --ports N       the listener's peer ports (default 4)
  --loss PCT      network conditioner: drop PCT % of datagrams (0-100)
  --latency MS    network conditioner: delay every datagram by MS milliseconds
  --jitter MS     network conditioner: vary each delay by up to ± MS milliseconds (reorders)
  --duplicate PCT network conditioner: deliver PCT % of datagrams twice
  --seed N        network conditioner: seed its decisions, so a run repeats them
                  (the conditions apply once per datagram: on receipt when both sides run
                  here, both ways at this process with --listen or --connect)
  --describe      print each channel's id (hex, and its 3 bytes on the wire), reliability,
                  ordering, max_size and priority, and the protocol hash, then exit
  --help          print this";

/// Why the command line was refused.
#[derive(Debug, PartialEq)]
pub enum ArgsError {
    /// `--help` was asked for.
    Help,
    /// Something is wrong; the message says what.
    Bad(String),
}

fn value<'a>(flag: &str, rest: &mut impl Iterator<Item = &'a str>) -> Result<&'a str, ArgsError> {
    rest.next().ok_or_else(|| ArgsError::Bad(format!("{flag} needs a value")))
}

fn parsed<T: std::str::FromStr>(flag: &str, text: &str, what: &str) -> Result<T, ArgsError> {
    text.parse().map_err(|_| ArgsError::Bad(format!("{flag} expects {what}, got `{text}`")))
}

/// `text` as a socket address: an IP address or a host name (resolved now), with a port.
fn address(flag: &str, text: &str) -> Result<SocketAddr, ArgsError> {
    resolve_udp_addr(text).map_err(|error| {
        ArgsError::Bad(format!("{flag} expects an address, got `{text}`: {error}"))
    })
}

/// A percentage in `0..=100`, as a fraction.
fn percent(flag: &str, text: &str) -> Result<f64, ArgsError> {
    let pct: f64 = parsed(flag, text, "a percentage")?;
    if !(0.0..=100.0).contains(&pct) {
        return Err(ArgsError::Bad(format!("{flag} expects 0 to 100, got `{text}`")));
    }
    Ok(pct / 100.0)
}

/// A whole number of milliseconds.
fn millis(flag: &str, text: &str) -> Result<Duration, ArgsError> {
    Ok(Duration::from_millis(parsed(flag, text, "a number of milliseconds")?))
}

/// Parses the arguments after the program name.
pub fn parse<'a>(args: impl IntoIterator<Item = &'a str>) -> Result<Options, ArgsError> {
    let mut options = Options::default();
    let (mut listen, mut connect) = (None::<SocketAddr>, None::<SocketAddr>);
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        match flag {
            "--help" | "-h" => return Err(ArgsError::Help),
            "--describe" => options.describe = true,
            "--listen" => listen = Some(address(flag, value(flag, &mut args)?)?),
            "--connect" => connect = Some(address(flag, value(flag, &mut args)?)?),
            "--key" => {
                let text = value(flag, &mut args)?;
                let key: PublicKey = text.parse().map_err(|error| {
                    ArgsError::Bad(format!("--key expects the listener's public key: {error}"))
                })?;
                options.key = Some(key);
            }
            "--identity" => options.identity = Some(value(flag, &mut args)?.into()),
            "--bots" => options.bots = parsed(flag, value(flag, &mut args)?, "a number")?,
            "--ports" => options.ports = parsed(flag, value(flag, &mut args)?, "a number")?,
            "--seconds" => {
                let seconds: f64 = parsed(flag, value(flag, &mut args)?, "a number of seconds")?;
                if !(seconds.is_finite() && seconds > 0.0) {
                    return Err(ArgsError::Bad("--seconds must be above 0".into()));
                }
                options.seconds = Some(seconds);
            }
            "--loss" => options.conditions.loss = percent(flag, value(flag, &mut args)?)?,
            "--duplicate" => options.conditions.duplicate = percent(flag, value(flag, &mut args)?)?,
            "--latency" => options.conditions.latency = millis(flag, value(flag, &mut args)?)?,
            "--jitter" => options.conditions.jitter = millis(flag, value(flag, &mut args)?)?,
            "--seed" => options.seed = Some(parsed(flag, value(flag, &mut args)?, "a number")?),
            other => return Err(ArgsError::Bad(format!("unknown argument `{other}`"))),
        }
    }
    options.mode = match (listen, connect) {
        (None, None) => Mode::Local,
        (Some(addr), None) => Mode::Listen(addr),
        (None, Some(addr)) => Mode::Connect(addr),
        (Some(_), Some(_)) => {
            return Err(ArgsError::Bad("--listen and --connect run in separate processes".into()));
        }
    };
    if options.key.is_some() && !matches!(options.mode, Mode::Connect(_)) {
        return Err(ArgsError::Bad("--key is for --connect (the bots pin it)".into()));
    }
    if options.identity.is_some() && !matches!(options.mode, Mode::Listen(_)) {
        return Err(ArgsError::Bad("--identity is for --listen".into()));
    }
    if options.bots == 0 && !matches!(options.mode, Mode::Listen(_)) {
        return Err(ArgsError::Bad("--bots must be at least 1".into()));
    }
    if options.ports == 0 {
        return Err(ArgsError::Bad("--ports must be at least 1".into()));
    }
    Ok(options)
}
