//! Talking to the person at the terminal, and knowing when there is none:
//! a spinner only when stderr is a terminal (in CI logs it is noise), and a
//! confirmation prompt only when stdin is one (a script would hang on it or
//! feed it garbage), otherwise a usage error that says to pass `--yes`.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::error::{Error, Result};

/// A spinner with `message` on stderr; without a terminal, the message is
/// printed once instead and the spinner is hidden.
pub fn spinner(message: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        eprintln!("{message}");
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
        bar.set_style(style);
    }
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// Asks a yes/no question on stderr; only "y" or "yes" goes ahead.
pub fn confirm(question: &str) -> Result<()> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Error::Usage(
            "refusing to ask for confirmation: standard input is not a terminal; pass --yes to confirm"
                .into(),
        ));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::Io(format!("cannot read the answer: {e}")))?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(Error::Cancelled),
    }
}

/// All of stdin, for `--with-token` (`cnap auth login --with-token < file`).
pub fn read_stdin() -> Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Error::Io(format!("cannot read the token from standard input: {e}")))?;
    Ok(text)
}
