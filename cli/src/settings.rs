//! Where each setting comes from. One rule for all of them:
//! flags > environment (`AKUA_*`, then `CNAP_*`) > config file > default.
//!
//! | setting | flag | environment | config |
//! |---|---|---|---|
//! | API URL | `--api-url` | `AKUA_API_URL`, `CNAP_API_URL` | `api_url` |
//! | credential | `auth login --token` (stored) | `AKUA_API_TOKEN`, `CNAP_API_TOKEN` | `auth.token` |
//! | workspace | `--workspace` | `AKUA_WORKSPACE`, `CNAP_WORKSPACE` | `active_workspace` |
//! | output | `--output` | — | `output.format` |
//!
//! An API token belongs to one workspace and acts on it implicitly
//! (DESIGN §1), so `active_workspace`, which is chosen for sessions, is not
//! sent with an API token; an explicit `--workspace` or `AKUA_WORKSPACE`
//! still is (a multi-workspace token needs one).

use url::Url;

use crate::cli::GlobalArgs;
use crate::client::{Client, parse_api_url};
use crate::config::Config;
use akua_core::CredentialKind;

use crate::credential::Credential;
use crate::error::{Error, Result};
use crate::ids;
use crate::output::Format;
use crate::source::Source;

/// The local API that `akua-local` serves, until a URL is configured.
pub const DEFAULT_API_URL: &str = "http://127.0.0.1:8787/v1";
pub const TOKEN_ENV: [&str; 2] = ["AKUA_API_TOKEN", "CNAP_API_TOKEN"];
pub const URL_ENV: [&str; 2] = ["AKUA_API_URL", "CNAP_API_URL"];
pub const WORKSPACE_ENV: [&str; 2] = ["AKUA_WORKSPACE", "CNAP_WORKSPACE"];

pub struct Settings {
    pub config: Config,
    pub api_url: Url,
    pub api_url_source: Source,
    /// The credential in effect, and where it came from.
    pub credential: Option<(Credential, Source)>,
    /// Why a stored credential could not be read (a keychain that did not
    /// answer): said by commands that need it, while `auth login`, which
    /// replaces it, still runs.
    unreadable: Option<String>,
    pub workspace: Option<(String, Source)>,
    pub format: Format,
}

/// The first of `names` set to a non-empty value.
fn env_first(names: [&'static str; 2]) -> Option<(&'static str, String)> {
    names.into_iter().find_map(|name| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| (name, v))
    })
}

impl Settings {
    pub fn resolve(global: &GlobalArgs) -> Result<Self> {
        let mut config = Config::load(&Config::default_path()?)?;
        // A file from before: its credential and workspace move under the
        // URL they were used with, once.
        let stored_for = match config.api_url()? {
            Some(url) => parse_api_url(url).map_err(|e| {
                Error::Config(format!("api_url in {}: {e}", config.path().display()))
            })?,
            None => parse_api_url(DEFAULT_API_URL).expect("a valid default"),
        };
        if config.migrate(stored_for.as_str())? {
            config.save()?;
        }

        let (api_url, api_url_source) = if let Some(url) = &global.api_url {
            (url.clone(), Source::Flag)
        } else if let Some((name, value)) = env_first(URL_ENV) {
            let url = parse_api_url(&value).map_err(|e| Error::Usage(format!("{name}: {e}")))?;
            (url, Source::Env(name))
        } else if let Some(value) = config.api_url()? {
            let url = parse_api_url(value).map_err(|e| {
                Error::Config(format!("api_url in {}: {e}", config.path().display()))
            })?;
            (url, Source::Config)
        } else {
            (
                parse_api_url(DEFAULT_API_URL).expect("a valid default"),
                Source::Default,
            )
        };

        let mut unreadable = None;
        let credential = if let Some((name, value)) = env_first(TOKEN_ENV) {
            let credential = Credential::parse(&value)
                .map_err(|_| Error::Usage(format!("{name} does not hold a token")))?;
            Some((credential, Source::Env(name)))
        } else {
            match config.token(api_url.as_str()) {
                Ok(stored) => stored.map(|c| (c, Source::Config)),
                Err(e) => {
                    unreadable = Some(e.to_string());
                    None
                }
            }
        };

        let workspace = if let Some(ws) = &global.workspace {
            Some((
                ids::workspace_id(ws).map_err(|e| Error::Usage(format!("--workspace: {e}")))?,
                Source::Flag,
            ))
        } else if let Some((name, value)) = env_first(WORKSPACE_ENV) {
            Some((
                ids::workspace_id(&value).map_err(|e| Error::Usage(format!("{name}: {e}")))?,
                Source::Env(name),
            ))
        } else if let Some(ws) = config.active_workspace(api_url.as_str())? {
            Some((
                ids::workspace_id(ws).map_err(|e| {
                    Error::Config(format!(
                        "active_workspace in {}: {e}",
                        config.path().display()
                    ))
                })?,
                Source::Config,
            ))
        } else {
            None
        };

        let format = match global.output {
            Some(format) => format,
            None if global.json.is_some() || global.jq.is_some() => Format::Json,
            None => config.output_format()?.unwrap_or_default(),
        };

        Ok(Self {
            config,
            api_url,
            api_url_source,
            credential,
            unreadable,
            workspace,
            format,
        })
    }

    /// The workspace to send as `Akua-Context` with the current credential.
    pub fn context(&self) -> Option<&str> {
        let (ws, source) = self.workspace.as_ref()?;
        let api_token =
            matches!(&self.credential, Some((c, _)) if c.kind() == Some(CredentialKind::ApiToken));
        (!api_token || *source != Source::Config).then_some(ws.as_str())
    }

    /// A client with the credential in effect and the workspace to act in.
    pub fn client(&self) -> Result<Client> {
        Client::new(
            self.api_url.clone(),
            self.credential.as_ref().map(|(c, _)| c.clone()),
            self.context().map(str::to_owned),
        )
    }

    /// A client for calls that need no credential, or a given one.
    pub fn client_with(&self, credential: Option<Credential>) -> Result<Client> {
        Client::new(self.api_url.clone(), credential, None)
    }

    /// The credential for a workspace request: checked here, before any
    /// request, that it has a workspace to act in (a usage error, exit 2,
    /// naming the ways to choose one). An API token acts in its own
    /// workspace without one; a person's session or JWT needs one.
    /// `also`: the command's own way out (e.g. `--mine`), if any.
    pub fn require_workspace(&self, also: Option<&str>) -> Result<&(Credential, Source)> {
        let credential = self.require_credential()?;
        let api_token = credential.0.kind() == Some(CredentialKind::ApiToken);
        if self.context().is_some() || api_token {
            return Ok(credential);
        }
        Err(no_workspace(also))
    }

    /// The credential, or "not logged in" to this API URL: naming the
    /// URLs a credential is stored for, since a stored credential never
    /// goes to another one.
    pub fn require_credential(&self) -> Result<&(Credential, Source)> {
        self.credential.as_ref().ok_or_else(|| self.not_logged_in())
    }

    /// Why there is no credential for this API URL.
    pub fn not_logged_in(&self) -> Error {
        if let Some(why) = &self.unreadable {
            return Error::Config(why.clone());
        }
        let elsewhere = self.config.logged_in_hosts();
        if elsewhere.is_empty() {
            Error::NotLoggedIn
        } else {
            Error::NotLoggedInHere {
                url: self.api_url.to_string(),
                elsewhere,
            }
        }
    }
}

/// A workspace request without a workspace: what to do, with the
/// command's own way out (`also`), if any. Exit 2, before any request.
pub fn no_workspace(also: Option<&str>) -> Error {
    let also = also.map(|a| format!(" (or {a})")).unwrap_or_default();
    Error::Usage(format!(
        "no workspace: pass --workspace WS_ID, set AKUA_WORKSPACE, or run `cnap workspaces use WS_ID`{also}"
    ))
}
