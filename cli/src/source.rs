//! Where a setting came from: `cnap auth status` shows it, and a refused
//! request's hint names it (a credential from `AKUA_API_TOKEN` wins over
//! the stored login, so "log in again" would not help).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Flag,
    Env(&'static str),
    Config,
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag => f.write_str("flag"),
            Source::Env(name) => f.write_str(name),
            Source::Config => f.write_str("config"),
            Source::Default => f.write_str("default"),
        }
    }
}
