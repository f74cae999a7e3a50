//! The arena: a listener and bots exchanging chat (reliable, ordered), positions
//! (unreliable, sequenced) and events (reliable, unordered) over real UDP.
//!
//! `cargo run --release --example arena` runs both sides in one process on 127.0.0.1 and
//! exits 0 only if every reliable message arrived; `--listen ADDR` and `--connect ADDR` run
//! them as separate processes. Every run starts by printing the channel table (ids, their
//! wire bytes, delivery contracts) and the protocol hash; `--describe` prints only that.
//! `--help` lists every option.

mod args;
mod bot;
mod channels;
mod describe;
mod host;
mod phase;
mod report;
mod session;
mod traffic;

use std::process::ExitCode;

use args::ArgsError;
use session::Mode;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let options = match args::parse(argv.iter().map(String::as_str)) {
        Ok(options) => options,
        Err(ArgsError::Help) => {
            println!("{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(ArgsError::Bad(problem)) => {
            eprintln!("error: {problem}\n\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    if options.describe {
        print!("{}", describe::describe(session::describe_app().world()));
        return ExitCode::SUCCESS;
    }
    let outcome = match options.mode {
        Mode::Listen(_) => session::run_listener(&options),
        Mode::Local | Mode::Connect(_) => session::run_bots(&options),
    };
    match outcome {
        Ok(outcome) if outcome.problems.is_empty() => {
            if !matches!(options.mode, Mode::Listen(_)) {
                println!(
                    "\nok: all {} reliable messages arrived, none lost",
                    outcome.reliable_received
                );
            }
            ExitCode::SUCCESS
        }
        Ok(outcome) => {
            eprintln!("\nFAILED:");
            for problem in &outcome.problems {
                eprintln!("  {problem}");
            }
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
