//! `cnap auth login`: the OAuth 2.0 Device Authorization Grant (RFC 8628),
//! or a token given with `--token` / `--with-token`.
//!
//! Either way the credential is checked with `GET /auth/whoami` before it is
//! stored, so a mistyped or revoked token is refused and the config file is
//! left untouched.

use std::time::Duration;

use tokio::time::Instant;

use crate::cli::LoginArgs;
use crate::client::{Client, Poll};
use akua_core::CredentialKind;
use akua_core::device::DeviceAuthorization;

use crate::credential::Credential;
use crate::error::{Error, Result};
use crate::keychain::{self, Vault};
use crate::settings::Settings;
use crate::source::Source;
use crate::terminal;

/// RFC 8628 §3.5: on `slow_down` the interval grows by 5 s, for good.
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

pub async fn run(settings: Settings, args: LoginArgs) -> Result<()> {
    let given = match (&args.token, args.with_token) {
        (Some(token), _) => Some(Credential::parse(token)?),
        (None, true) => Some(Credential::parse(&terminal::read_stdin()?)?),
        (None, false) => None,
    };
    let (credential, origin) = match given {
        Some(credential) => (credential, Origin::Given),
        None => {
            let client = settings.client_with(None)?;
            // Ctrl-C is watched from the start, so that it always ends the
            // login through this path (exit 130, nothing stored).
            let credential = tokio::select! {
                result = device_flow(&client, args.no_browser) => result?,
                _ = tokio::signal::ctrl_c() => return Err(Error::Interrupted),
            };
            (credential, Origin::DeviceFlow)
        }
    };
    store(settings, credential, origin).await
}

async fn device_flow(client: &Client, no_browser: bool) -> Result<Credential> {
    let authorization = client.device_code().await?;
    eprintln!("First copy your one-time code: {}", authorization.user_code);
    eprintln!(
        "Then open {} in a browser to approve the login.",
        authorization.verification_uri
    );
    if !no_browser {
        open_browser(&authorization);
    }
    let spinner = terminal::spinner("Waiting for approval in the browser (Ctrl-C to cancel)…");
    let result = poll(client, &authorization).await;
    spinner.finish_and_clear();
    result
}

/// Opens the verification page (with the code filled in when the server
/// offers that) if there is a display to open it on; failing to open is
/// not an error: the URL is already printed.
fn open_browser(authorization: &DeviceAuthorization) {
    if !has_display() {
        return;
    }
    let url = &authorization.verification_uri_complete;
    let options = webbrowser::BrowserOptions::new()
        .with_suppress_output(true)
        .clone();
    match webbrowser::open_browser_with_options(webbrowser::Browser::Default, url, &options) {
        Ok(()) => eprintln!("Opened {url} in your browser."),
        Err(e) => eprintln!("Could not open a browser ({e}); open the URL above yourself."),
    }
}

/// On Linux and the BSDs a graphical browser needs X11 or Wayland; over
/// SSH or in a container there is none, and a text browser would take
/// over the terminal.
fn has_display() -> bool {
    if cfg!(all(unix, not(target_os = "macos"))) {
        ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
    } else {
        true
    }
}

/// Polls at the server's interval (never faster, RFC 8628 §3.5) until the
/// code is approved, denied or expired.
async fn poll(client: &Client, authorization: &DeviceAuthorization) -> Result<Credential> {
    let deadline = Instant::now() + Duration::from_secs(authorization.expires_in.max(0) as u64);
    let mut interval = Duration::from_secs(authorization.interval.max(1) as u64);
    loop {
        tokio::time::sleep(interval).await;
        if Instant::now() >= deadline {
            return Err(Error::LoginExpired);
        }
        match client
            .device_token(authorization.device_code.expose())
            .await?
        {
            Poll::Granted(credential) => return Ok(credential),
            Poll::Pending => {}
            Poll::SlowDown => interval += SLOW_DOWN_STEP,
            Poll::Denied => return Err(Error::LoginDenied),
            Poll::Expired => return Err(Error::LoginExpired),
        }
    }
}

/// Where a credential came from, which decides what a failed check means.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Typed or piped by the user: unchecked until the server says yes.
    Given,
    /// Just issued by the token endpoint: good, even if the check that
    /// follows cannot be made (losing a fresh login to a blip would be worse).
    DeviceFlow,
}

/// Checks the credential with `GET /auth/whoami`, then saves it (and the
/// API URL it belongs to, unless that is the default).
async fn store(mut settings: Settings, credential: Credential, origin: Origin) -> Result<()> {
    // No Akua-Context: a stale active workspace must not fail the check.
    let who = match settings
        .client_with(Some(credential.clone()))?
        .whoami()
        .await
    {
        Ok(who) => Some(who),
        Err(e) if origin == Origin::DeviceFlow => {
            eprintln!("warning: the new session could not be checked: {e}");
            None
        }
        Err(Error::Api {
            status,
            code,
            message,
            field,
            reason,
            ..
        }) if matches!(status, 401 | 403) => {
            return Err(Error::Api {
                status,
                code,
                message: format!("{message}: the token was refused, nothing was stored"),
                field,
                reason,
                // The token being logged in with, not one in effect.
                credential: Some(Source::Flag),
            });
        }
        Err(e) => return Err(e),
    };

    let url = settings.api_url.as_str();
    let previous = settings.config.token(url).ok().flatten();
    let vault = settings.config.store_token(url, &credential);
    if settings.api_url_source != Source::Default {
        settings.config.set_api_url(Some(settings.api_url.as_str()));
    }
    settings.config.save()?;

    let mut line = format!("Logged in to {}", settings.api_url);
    if let Some(who) = &who {
        let user = who.user_id.as_deref().unwrap_or("(no user)");
        line.push_str(&format!(
            " as {user} with {} {}",
            kind_name(&who.credential),
            credential.masked()
        ));
        if let Some(ws) = &who.workspace_id {
            line.push_str(&format!(" (workspace {ws})"));
        }
    }
    eprintln!("{line}.");
    match vault {
        Vault::Keychain => eprintln!(
            "The token is kept in the OS keychain; settings in {}.",
            settings.config.path().display()
        ),
        Vault::File => eprintln!(
            "The token is kept in {} (owner-only): {}.",
            settings.config.path().display(),
            if keychain::enabled() {
                "no OS keychain answered"
            } else {
                "CNAP_KEYCHAIN is off"
            }
        ),
    }
    let replaced_session = previous
        .filter(|p| p.kind() == Some(CredentialKind::Session) && p.expose() != credential.expose());
    if let Some(previous) = replaced_session {
        eprintln!(
            "note: the previous session {} was replaced, not revoked (`cnap auth logout` revokes)",
            previous.masked()
        );
    }
    if let Some((_, Source::Env(name))) = &settings.credential {
        eprintln!(
            "warning: {name} is set and takes precedence over the saved credential; unset it to use this login"
        );
    }
    Ok(())
}

fn kind_name(credential: &CredentialKind) -> &'static str {
    match credential {
        CredentialKind::Session => "a session",
        CredentialKind::ApiToken => "an API token",
        CredentialKind::MultiWorkspaceToken => "a multi-workspace API token",
        CredentialKind::Jwt => "a JWT",
    }
}
