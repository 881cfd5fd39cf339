//! `~/.cnap/config.yaml`: where `cnap` keeps the default API URL, each
//! API's credential and active workspace, and the default output format.
//!
//! ```yaml
//! api_url: https://api.example.com/v1
//! hosts:
//!   https://api.example.com/v1:
//!     token_store: keychain   # the secret is in the OS keychain
//!     active_workspace: ws_…
//!   https://staging.example.com/v1:
//!     token: …                # no keychain answered: kept here
//! output:
//!   format: table
//! ```
//!
//! A credential is kept under the API URL it was stored for (scheme, host,
//! port and path, so `/prod/v1` and `/staging/v1` differ) and is only ever
//! sent there: pointing `cnap` at another URL never sends it along. Its
//! secret goes to the OS keychain (`keychain`), or where none answers, to
//! this file.
//! A file from before (`auth.token` and `active_workspace` at the top) is
//! moved under its `api_url`, or the default one, the first time it is read.
//!
//! The file is kept as a generic YAML mapping and only the known keys are
//! edited, so keys written by a newer `cnap` (or by hand) survive a save.
//! It holds a secret, hence the directory is 0700, the file 0600, and a save
//! is atomic (a temp file in the same directory, then `rename`): a crash or a
//! full disk never leaves a half-written file that loses the login.

use std::io::Write;
use std::path::{Path, PathBuf};

use yaml_serde::{Mapping, Value};

use crate::credential::Credential;
use crate::error::{Error, Result};
use crate::keychain::{self, Vault};
use crate::output::Format;

const DIR: &str = ".cnap";
const FILE: &str = "config.yaml";

const API_URL: &[&str] = &["api_url"];
const HOSTS: &str = "hosts";
const TOKEN: &str = "token";
/// `keychain` when the host's secret is in the OS keychain.
const TOKEN_STORE: &str = "token_store";
const IN_KEYCHAIN: &str = "keychain";
const ACTIVE_WORKSPACE: &str = "active_workspace";
/// Where a file from before kept the credential and the workspace.
const OLD_TOKEN: &[&str] = &["auth", "token"];
const OLD_ACTIVE_WORKSPACE: &[&str] = &["active_workspace"];
const OUTPUT_FORMAT: &[&str] = &["output", "format"];

/// The config file's contents. Deliberately not `Debug`: it holds the token.
pub struct Config {
    path: PathBuf,
    doc: Mapping,
    /// Whether new secrets may go to the OS keychain (see `keychain`).
    keychain: bool,
}

impl Config {
    /// `$HOME/.cnap/config.yaml`. `HOME` comes from the environment so that
    /// tests (and people with several identities) can point it elsewhere.
    pub fn default_path() -> Result<PathBuf> {
        match std::env::var_os("HOME") {
            Some(home) if !home.is_empty() => Ok(PathBuf::from(home).join(DIR).join(FILE)),
            _ => Err(Error::Config(
                "HOME is not set: cannot find ~/.cnap/config.yaml".into(),
            )),
        }
    }

    /// Reads the file; a missing file is an empty config. A file others
    /// may read is refused: it holds credentials.
    pub fn load(path: &Path) -> Result<Self> {
        refuse_shared(path)?;
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(Error::Config(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        };
        let doc = match yaml_serde::from_str::<Value>(&text) {
            Ok(Value::Mapping(m)) => m,
            Ok(Value::Null) => Mapping::new(),
            Ok(_) => {
                return Err(Error::Config(format!(
                    "{} must be a YAML mapping (key: value)",
                    path.display()
                )));
            }
            Err(e) => {
                return Err(Error::Config(format!(
                    "cannot parse {}: {e}",
                    path.display()
                )));
            }
        };
        let config = Self {
            path: path.to_owned(),
            doc,
            keychain: keychain::enabled(),
        };
        // Reject wrongly typed known keys now, not halfway through a command.
        config.api_url()?;
        config.get(OLD_TOKEN)?;
        config.get(OLD_ACTIVE_WORKSPACE)?;
        match config.doc.get(HOSTS) {
            None | Some(Value::Null) => {}
            Some(Value::Mapping(hosts)) => {
                for url in hosts.keys() {
                    let url = url.as_str().ok_or_else(|| config.wrong_type(&[HOSTS]))?;
                    config.file_token(url)?;
                    config.vault(url)?;
                    config.active_workspace(url)?;
                }
            }
            Some(_) => return Err(config.wrong_type(&[HOSTS])),
        }
        config.output_format()?;
        Ok(config)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn api_url(&self) -> Result<Option<&str>> {
        self.get(API_URL)
    }

    pub fn set_api_url(&mut self, url: Option<&str>) {
        self.set(API_URL, url);
    }

    /// The active workspace at the API `url`.
    pub fn active_workspace(&self, url: &str) -> Result<Option<&str>> {
        self.get(&[HOSTS, url, ACTIVE_WORKSPACE])
    }

    pub fn set_active_workspace(&mut self, url: &str, workspace: Option<&str>) {
        self.set(&[HOSTS, url, ACTIVE_WORKSPACE], workspace);
    }

    /// The credential stored for the API `url`, and only for it: from
    /// the keychain or the file, wherever it was kept.
    pub fn token(&self, url: &str) -> Result<Option<Credential>> {
        match self.vault(url)? {
            None => Ok(None),
            Some(Vault::File) => self.file_token(url),
            Some(Vault::Keychain) => match keychain::get(url) {
                Ok(Some(credential)) => Ok(Some(credential)),
                Ok(None) => Err(Error::Config(format!(
                    "{} says the credential for {url} is in the OS keychain, which has none; run `cnap --api-url {url} auth login`",
                    self.path.display()
                ))),
                Err(e) => Err(Error::Config(format!(
                    "cannot read the credential for {url} from the OS keychain ({e}); unlock it, or log in again with CNAP_KEYCHAIN=off to keep the credential in {}",
                    self.path.display()
                ))),
            },
        }
    }

    /// A secret kept in the file itself.
    fn file_token(&self, url: &str) -> Result<Option<Credential>> {
        self.get(&[HOSTS, url, TOKEN])?
            .map(Credential::parse)
            .transpose()
            .map_err(|_| {
                Error::Config(format!(
                    "hosts.{url}.token in {} is not a token; run `cnap --api-url {url} auth login`",
                    self.path.display()
                ))
            })
    }

    /// Where the credential for `url` is kept, if one is.
    pub fn vault(&self, url: &str) -> Result<Option<Vault>> {
        if self.get(&[HOSTS, url, TOKEN])?.is_some() {
            return Ok(Some(Vault::File));
        }
        match self.get(&[HOSTS, url, TOKEN_STORE])? {
            None => Ok(None),
            Some(IN_KEYCHAIN) => Ok(Some(Vault::Keychain)),
            Some(other) => Err(Error::Config(format!(
                "hosts.{url}.token_store in {} is {other:?}; expected keychain",
                self.path.display()
            ))),
        }
    }

    /// Keeps `credential` for `url`: in the OS keychain when one answers,
    /// else in this file. Says where.
    pub fn store_token(&mut self, url: &str, credential: &Credential) -> Vault {
        if self.keychain && keychain::put(url, credential).is_ok() {
            self.set(&[HOSTS, url, TOKEN], None);
            self.set(&[HOSTS, url, TOKEN_STORE], Some(IN_KEYCHAIN));
            Vault::Keychain
        } else {
            self.set(&[HOSTS, url, TOKEN], Some(credential.expose()));
            self.set(&[HOSTS, url, TOKEN_STORE], None);
            Vault::File
        }
    }

    /// Forgets the credential for `url`, wherever it was kept. A keychain
    /// that will not let go is reported, not fatal: this machine no longer
    /// uses the credential either way.
    pub fn forget_token(&mut self, url: &str) {
        if let Ok(Some(Vault::Keychain)) = self.vault(url)
            && let Err(e) = keychain::delete(url)
        {
            eprintln!(
                "warning: the OS keychain kept its entry for {url} ({e}); delete the entry of service \"cnap\" for {url} by hand"
            );
        }
        self.set(&[HOSTS, url, TOKEN], None);
        self.set(&[HOSTS, url, TOKEN_STORE], None);
    }

    /// The API URLs a credential is stored for.
    pub fn logged_in_hosts(&self) -> Vec<String> {
        let Some(Value::Mapping(hosts)) = self.doc.get(HOSTS) else {
            return Vec::new();
        };
        hosts
            .iter()
            .filter(|(_, host)| {
                matches!(host.get(TOKEN), Some(Value::String(_)))
                    || host.get(TOKEN_STORE).and_then(Value::as_str) == Some(IN_KEYCHAIN)
            })
            .filter_map(|(url, _)| url.as_str().map(str::to_owned))
            .collect()
    }

    /// Moves a file from before under `url` (its `api_url`, or the
    /// default one): `true` when there was something to move, and the
    /// caller saves. Keys of its own under `auth` stay where they are.
    pub fn migrate(&mut self, url: &str) -> Result<bool> {
        let token = self.get(OLD_TOKEN)?.map(str::to_owned);
        let workspace = self.get(OLD_ACTIVE_WORKSPACE)?.map(str::to_owned);
        if token.is_none() && workspace.is_none() {
            return Ok(false);
        }
        if let Some(token) = token {
            // Kept where a new login would be: the keychain, if it answers.
            match Credential::parse(&token) {
                Ok(credential) => {
                    self.store_token(url, &credential);
                }
                Err(_) => self.set(&[HOSTS, url, TOKEN], Some(&token)),
            }
            self.set(OLD_TOKEN, None);
        }
        if let Some(workspace) = workspace {
            self.set(&[HOSTS, url, ACTIVE_WORKSPACE], Some(&workspace));
            self.set(OLD_ACTIVE_WORKSPACE, None);
        }
        Ok(true)
    }

    /// Sets (or with `None` removes) `output.format`; the caller checked it.
    pub fn set_output_format(&mut self, format: Option<&str>) {
        self.set(OUTPUT_FORMAT, format);
    }

    pub fn output_format(&self) -> Result<Option<Format>> {
        match self.get(OUTPUT_FORMAT)? {
            None => Ok(None),
            Some("table") => Ok(Some(Format::Table)),
            Some("json") => Ok(Some(Format::Json)),
            Some(other) => Err(Error::Config(format!(
                "output.format in {} is {other:?}; expected table or json",
                self.path.display()
            ))),
        }
    }

    /// The string at `keys`; absent or null is `None`, another type an error.
    fn get(&self, keys: &[&str]) -> Result<Option<&str>> {
        let mut current = &self.doc;
        let (last, parents) = keys.split_last().expect("a key path");
        for (depth, key) in parents.iter().enumerate() {
            match current.get(*key) {
                None | Some(Value::Null) => return Ok(None),
                Some(Value::Mapping(m)) => current = m,
                Some(_) => return Err(self.wrong_type(&keys[..=depth])),
            }
        }
        match current.get(*last) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.wrong_type(keys)),
        }
    }

    fn wrong_type(&self, keys: &[&str]) -> Error {
        Error::Config(format!(
            "{} in {} has the wrong type",
            keys.join("."),
            self.path.display()
        ))
    }

    /// Sets (or with `None` removes) the string at `keys`, creating parent
    /// mappings as needed and dropping a parent this leaves empty. Every
    /// other key, known or not, is left as it was.
    fn set(&mut self, keys: &[&str], value: Option<&str>) {
        fn walk(map: &mut Mapping, keys: &[&str], value: Option<&str>) {
            let (key, rest) = keys.split_first().expect("a key path");
            if rest.is_empty() {
                match value {
                    Some(v) => {
                        map.insert(Value::from(*key), Value::from(v));
                    }
                    None => {
                        map.remove(*key);
                    }
                }
                return;
            }
            if value.is_none() && !matches!(map.get(*key), Some(Value::Mapping(_))) {
                return;
            }
            let child = map
                .entry(Value::from(*key))
                .or_insert_with(|| Value::Mapping(Mapping::new()));
            if !child.is_mapping() {
                *child = Value::Mapping(Mapping::new());
            }
            if let Value::Mapping(m) = child {
                walk(m, rest, value);
                if m.is_empty() {
                    map.remove(*key);
                }
            }
        }
        walk(&mut self.doc, keys, value);
    }

    /// Writes the file atomically with owner-only permissions.
    pub fn save(&self) -> Result<()> {
        let fail = |what: &str, e: std::io::Error| {
            Error::Config(format!("cannot {what} {}: {e}", self.path.display()))
        };
        let dir = self
            .path
            .parent()
            .ok_or_else(|| Error::Config(format!("{} has no directory", self.path.display())))?;
        create_private_dir(dir).map_err(|e| fail("create the directory of", e))?;

        let text = yaml_serde::to_string(&self.doc)
            .map_err(|e| Error::Config(format!("cannot serialise the config: {e}")))?;
        // tempfile creates the file 0600 on Unix, so the secret is never
        // readable by others, not even for an instant.
        let mut temp = tempfile::Builder::new()
            .prefix(".config.yaml.")
            .tempfile_in(dir)
            .map_err(|e| fail("create a temporary file next to", e))?;
        temp.write_all(text.as_bytes())
            .and_then(|()| temp.as_file().sync_all())
            .map_err(|e| fail("write", e))?;
        set_mode(temp.path(), 0o600).map_err(|e| fail("set the permissions of", e))?;
        temp.persist(&self.path)
            .map_err(|e| fail("replace", e.error))?;
        // Make the rename itself durable; harmless where unsupported.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

/// A config file that group or others may read (its credentials could
/// already have been read): refused until it is made private.
#[cfg(unix)]
fn refuse_shared(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o044 == 0 {
        return Ok(());
    }
    Err(Error::Config(format!(
        "{} is readable by others (mode {mode:o}) and may hold credentials: run `chmod 600 {}` \
         (and log in again if others could have read it)",
        path.display(),
        path.display()
    )))
}

#[cfg(not(unix))]
fn refuse_shared(_: &Path) -> Result<()> {
    Ok(())
}

/// Creates `dir` (and parents) and makes it owner-only, tightening a
/// directory that already exists with looser permissions.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)?;
    set_mode(dir, 0o700)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DIR).join(FILE);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        write_private(&path, text);
        let mut config = Config::load(&path).unwrap();
        // The keychain of the person running the tests stays untouched.
        config.keychain = false;
        (dir, config)
    }

    /// Writes `text` to `path` as `cnap` keeps it: owner-only.
    fn write_private(path: &Path, text: &str) {
        std::fs::write(path, text).unwrap();
        set_mode(path, 0o600).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_config_others_may_read_is_refused() {
        let (dir, _) = config("api_url: http://127.0.0.1:8787/v1\n");
        let path = dir.path().join(DIR).join(FILE);
        for mode in [0o644, 0o640, 0o604] {
            set_mode(&path, mode).unwrap();
            let Err(e) = Config::load(&path) else {
                panic!("mode {mode:o} accepted")
            };
            assert!(e.to_string().contains("chmod 600"), "{e}");
        }
        set_mode(&path, 0o600).unwrap();
        assert!(Config::load(&path).is_ok());
    }

    const URL: &str = "http://127.0.0.1:8787/v1";

    #[test]
    fn a_missing_file_is_an_empty_config() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::load(&dir.path().join("nope.yaml")).unwrap();
        assert_eq!(config.api_url().unwrap(), None);
        assert!(config.token(URL).unwrap().is_none());
    }

    #[test]
    fn a_credential_belongs_to_its_url_only() {
        let (_dir, mut config) = config("");
        let token = Credential::parse(&"s".repeat(32)).unwrap();
        assert_eq!(config.store_token(URL, &token), Vault::File);
        config.set_active_workspace(URL, Some("ws_1"));
        assert!(config.token(URL).unwrap().is_some());
        for other in [
            "http://127.0.0.1:8788/v1",
            "http://127.0.0.1:8787/staging/v1",
            "https://127.0.0.1:8787/v1",
            "http://localhost:8787/v1",
        ] {
            assert!(config.token(other).unwrap().is_none(), "{other}");
            assert_eq!(config.active_workspace(other).unwrap(), None, "{other}");
        }
        assert_eq!(config.logged_in_hosts(), [URL]);
    }

    #[test]
    fn a_file_from_before_moves_under_its_url() {
        let (_dir, mut config) = config(&format!(
            "api_url: {URL}\nactive_workspace: ws_1\nauth:\n  token: {}\n  helper: keychain\n",
            "s".repeat(32)
        ));
        assert!(config.migrate(URL).unwrap());
        assert!(config.token(URL).unwrap().is_some());
        assert_eq!(config.active_workspace(URL).unwrap(), Some("ws_1"));
        assert_eq!(config.get(OLD_TOKEN).unwrap(), None);
        assert_eq!(config.get(OLD_ACTIVE_WORKSPACE).unwrap(), None);
        assert_eq!(config.get(&["auth", "helper"]).unwrap(), Some("keychain"));
        // Once moved, nothing is left to move.
        assert!(!config.migrate(URL).unwrap());
    }

    #[test]
    fn unknown_keys_survive_edits() {
        let (_dir, mut config) = config(
            "colour: never\nauth:\n  token: abc\n  helper: keychain\noutput:\n  format: json\n",
        );
        config.forget_token(URL);
        config.set_api_url(Some("http://x/v1"));
        config.save().unwrap();
        let saved: Value =
            yaml_serde::from_str(&std::fs::read_to_string(config.path()).unwrap()).unwrap();
        assert_eq!(saved["colour"], Value::from("never"));
        assert_eq!(saved["auth"]["helper"], Value::from("keychain"));
        // The old place is not the credential's any more: left as it was
        // until `Settings` moves it under its URL.
        assert_eq!(saved["auth"]["token"], Value::from("abc"));
        assert_eq!(saved["output"]["format"], Value::from("json"));
        assert_eq!(saved["api_url"], Value::from("http://x/v1"));
    }

    #[test]
    fn removing_the_last_key_drops_the_empty_parent() {
        let (_dir, mut config) = config(&format!("hosts:\n  {URL}:\n    token: abc\n"));
        config.forget_token(URL);
        assert!(config.doc.is_empty());
        // Removing what is not there creates nothing.
        config.forget_token(URL);
        assert!(config.doc.is_empty());
    }

    #[test]
    fn wrong_types_and_values_are_reported_with_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        for (text, key) in [
            ("api_url: 5\n", "api_url"),
            ("auth: yes\n", "auth"),
            ("hosts: [a]\n", "hosts"),
            ("hosts:\n  http://x/v1:\n    token: [1]\n", "token"),
            ("output:\n  format: xml\n", "output.format"),
        ] {
            write_private(&path, text);
            let Err(e) = Config::load(&path) else {
                panic!("{text} accepted")
            };
            assert!(e.to_string().contains(key), "{e}");
        }
        write_private(&path, "- a list\n");
        assert!(Config::load(&path).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn save_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let cnap = dir.path().join(DIR);
        std::fs::create_dir(&cnap).unwrap();
        set_mode(&cnap, 0o755).unwrap();
        let mut config = Config::load(&cnap.join(FILE)).unwrap();
        config.set_active_workspace(URL, Some("ws_1"));
        config.save().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&cnap), 0o700);
        assert_eq!(mode(&cnap.join(FILE)), 0o600);
        // Nothing but the config is left behind.
        assert_eq!(std::fs::read_dir(&cnap).unwrap().count(), 1);
    }
}
