//! The arena example's hand-written command line: every flag parses, and each bad argument
//! is refused with a message naming it (the example then prints its usage and exits 2).

use crate::args::{ArgsError, parse};
use crate::session::{Mode, Options};

#[test]
fn no_arguments_mean_twelve_local_bots_on_four_ports() {
    assert_eq!(parse([]), Ok(Options::default()));
    let options = Options::default();
    assert_eq!((options.mode, options.bots, options.ports), (Mode::Local, 12, 4));
}

#[test]
fn every_flag_is_read() {
    let options =
        parse(["--connect", "127.0.0.1:7777", "--bots", "50", "--seconds", "2.5", "--ports", "2"]);
    let expected = Options {
        mode: Mode::Connect("127.0.0.1:7777".parse().unwrap()),
        bots: 50,
        seconds: Some(2.5),
        ports: 2,
        ..Options::default()
    };
    assert_eq!(options, Ok(expected));
    let key = "f0vyN3Mv0yR3ntXTJ3xCgnB3cTk+HYqL0dJ3mTZg6hA=";
    let pinned = parse(["--connect", "127.0.0.1:7777", "--key", key]).unwrap();
    assert_eq!(pinned.key.map(|k| k.to_string()), Some(key.to_string()));
    let listener = parse(["--listen", "0.0.0.0:9000", "--identity", "/tmp/arena.key"]).unwrap();
    assert_eq!(listener.identity, Some("/tmp/arena.key".into()));
    let listen = parse(["--listen", "0.0.0.0:9000"]).unwrap();
    assert_eq!(listen.mode, Mode::Listen("0.0.0.0:9000".parse().unwrap()));
    let by_name = parse(["--connect", "localhost:7777"]).unwrap();
    assert_eq!(by_name.mode, Mode::Connect("127.0.0.1:7777".parse().unwrap()));
    assert_eq!(parse(["--help"]), Err(ArgsError::Help));
}

#[test]
fn bad_arguments_are_refused_naming_the_problem() {
    let cases: [(&[&str], &str); 10] = [
        (&["--bogus"], "unknown argument `--bogus`"),
        (&["--connect"], "--connect needs a value"),
        (&["--connect", "nowhere"], "--connect expects an address, got `nowhere`"),
        (&["--bots", "many"], "--bots expects a number, got `many`"),
        (&["--seconds", "0"], "--seconds must be above 0"),
        (&["--bots", "0"], "--bots must be at least 1"),
        (&["--listen", "127.0.0.1:1", "--connect", "127.0.0.1:1"], "separate processes"),
        (&["--connect", "127.0.0.1:1", "--key", "nope"], "--key expects the listener's public key"),
        (&["--key", "f0vyN3Mv0yR3ntXTJ3xCgnB3cTk+HYqL0dJ3mTZg6hA="], "--key is for --connect"),
        (&["--identity", "x.key"], "--identity is for --listen"),
    ];
    for (argv, expected) in cases {
        match parse(argv.iter().copied()) {
            Err(ArgsError::Bad(message)) => {
                assert!(message.contains(expected), "{argv:?}: got `{message}`")
            }
            other => panic!("{argv:?} was not refused: {other:?}"),
        }
    }
}
