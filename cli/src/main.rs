//! `cnap`: the Akua command-line client. Parses the command line, runs the
//! command on a single-threaded runtime (one request at a time is all a CLI
//! needs), and turns any failure into a message and an exit code.

mod cli;
mod client;
mod commands;
mod config;
mod credential;
mod error;
mod ids;
mod keychain;
mod output;
mod settings;
mod source;
mod terminal;
mod time;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Usage errors exit with clap's code 2 from here.
    let cli = cli::Cli::parse();
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| error::Error::Io(format!("cannot start the async runtime: {e}")))
        .and_then(|runtime| runtime.block_on(commands::run(cli)));
    match result {
        Ok(()) | Err(error::Error::StdoutClosed) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", error::Report(&e));
            ExitCode::from(e.exit_code())
        }
    }
}
