//! The OS keychain, where `cnap` keeps a stored credential's secret: the
//! macOS Keychain, the Windows Credential Manager, or the Secret Service
//! (GNOME Keyring, KWallet) on Linux and the BSDs, each entry named by the
//! API URL it belongs to. Where no keychain answers (a server with no
//! session bus, a locked or absent keyring), the secret goes to the config
//! file instead, which is 0600 (see `config`), and `cnap auth status` says
//! which of the two holds it.
//!
//! `CNAP_KEYCHAIN=off` skips the keychain: for machines where asking it
//! would prompt or hang, and for tests that must not touch the keychain of
//! the person running them.

use std::fmt;

use crate::credential::Credential;

/// The keychain's service name for `cnap`'s entries; the user name of an
/// entry is the API URL.
const SERVICE: &str = "cnap";
const SWITCH: &str = "CNAP_KEYCHAIN";

/// Where a stored credential's secret is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vault {
    Keychain,
    File,
}

impl Vault {
    pub fn as_str(self) -> &'static str {
        match self {
            Vault::Keychain => "keychain",
            Vault::File => "file",
        }
    }
}

impl fmt::Display for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Vault::Keychain => "the OS keychain",
            Vault::File => "the config file",
        })
    }
}

/// Why the keychain could not be used: its own words, which never hold
/// the secret (the crate's errors name the entry, not its password).
#[derive(Debug)]
pub struct Unavailable(String);

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<keyring::Error> for Unavailable {
    fn from(e: keyring::Error) -> Self {
        Self(e.to_string())
    }
}

/// Whether to try the keychain at all.
pub fn enabled() -> bool {
    !matches!(
        std::env::var(SWITCH).as_deref(),
        Ok("off" | "0" | "false" | "no")
    )
}

fn entry(url: &str) -> Result<keyring::Entry, Unavailable> {
    if !enabled() {
        return Err(Unavailable(format!("{SWITCH} is off")));
    }
    Ok(keyring::Entry::new(SERVICE, url)?)
}

/// Keeps `credential` for `url` in the keychain, replacing any before.
pub fn put(url: &str, credential: &Credential) -> Result<(), Unavailable> {
    entry(url)?.set_password(credential.expose())?;
    Ok(())
}

/// The credential kept for `url`; `None` if the keychain has none.
pub fn get(url: &str) -> Result<Option<Credential>, Unavailable> {
    match entry(url)?.get_password() {
        Ok(secret) => Credential::parse(&secret)
            .map(Some)
            .map_err(|_| Unavailable("the keychain's entry is not a token".into())),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Forgets the credential kept for `url` (none kept is fine).
pub fn delete(url: &str) -> Result<(), Unavailable> {
    match entry(url)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
