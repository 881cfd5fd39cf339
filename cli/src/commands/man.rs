//! `cnap man --dir DIR`: man pages (roff, section 1) for `cnap` and each
//! of its commands, generated from the same clap definitions as `--help`,
//! so the two never disagree. `cnap-tokens-list.1` documents `cnap tokens
//! list`, as `git` names its pages.

use std::path::Path;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::{Error, Result};

pub fn write(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Io(format!("cannot create {}: {e}", dir.display())))?;
    let mut written = 0;
    page(Cli::command(), "cnap", dir, &mut written)?;
    eprintln!("Wrote {written} man pages to {}.", dir.display());
    Ok(())
}

/// Writes the page of `command`, named `name`, then those of its
/// subcommands.
fn page(command: clap::Command, name: &str, dir: &Path, written: &mut usize) -> Result<()> {
    let command = command.name(name.to_owned());
    let path = dir.join(format!("{name}.1"));
    let mut roff = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut roff)
        .map_err(|e| Error::Io(format!("cannot render {name}: {e}")))?;
    std::fs::write(&path, roff)
        .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))?;
    *written += 1;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let sub_name = format!("{name}-{}", sub.get_name());
        page(sub.clone(), &sub_name, dir, written)?;
    }
    Ok(())
}
