//! The core's settings from the process environment. Each is read once, at
//! start-up; an empty value counts as unset.

use akua_core::device::DeviceConfig;
use akua_core::jwt::{JwtConfig, JwtConfigError};
use akua_core::leaks::LeakConfig;
use akua_core::sessions::SessionSettings;
use akua_core::sudo::SudoWindow;

/// One setting, `None` when unset or blank.
pub fn setting(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The trusted issuer (`AKUA_JWT_*`, `AKUA_JWKS_*`), if one is configured.
pub fn jwt_config() -> Result<Option<JwtConfig>, JwtConfigError> {
    JwtConfig::from_lookup(setting)
}

/// The dashboard's ID tokens: the trusted issuer's, for the dashboard's
/// client (`AKUA_OIDC_CLIENT_ID`) as audience. `None` without a client id
/// or without an issuer.
pub fn id_token_config() -> Result<Option<JwtConfig>, JwtConfigError> {
    let (Some(client_id), Some(_)) = (
        setting("AKUA_OIDC_CLIENT_ID"),
        setting(akua_core::jwt::env::ISSUER),
    ) else {
        return Ok(None);
    };
    JwtConfig::from_lookup(|name| {
        if name == akua_core::jwt::env::AUDIENCE {
            Some(client_id.clone())
        } else {
            setting(name)
        }
    })
}

/// The device flow's settings (`AKUA_VERIFICATION_URI`,
/// `AKUA_DEVICE_CLIENT_IDS`).
pub fn device_config() -> DeviceConfig {
    DeviceConfig::from_settings(
        setting("AKUA_VERIFICATION_URI"),
        setting("AKUA_DEVICE_CLIENT_IDS"),
    )
}

/// Sudo mode's window (`AKUA_SUDO_WINDOW_SECS`, default two hours).
pub fn sudo_window() -> Result<SudoWindow, String> {
    SudoWindow::from_setting(setting("AKUA_SUDO_WINDOW_SECS").as_deref())
}

/// Whether AWS principals may introspect at `POST /v1/platform/introspect`
/// (`AKUA_PLATFORM_INTROSPECTION`: `enabled`, or `disabled`, the default).
pub fn platform_introspection() -> Result<bool, String> {
    match setting("AKUA_PLATFORM_INTROSPECTION").as_deref() {
        None | Some("disabled") => Ok(false),
        Some("enabled") => Ok(true),
        Some(other) => Err(format!(
            "AKUA_PLATFORM_INTROSPECTION is {other:?}: enabled or disabled"
        )),
    }
}

/// The sessions' limits (`AKUA_DASHBOARD_ABSOLUTE_SECS`, default 7 days).
pub fn session_settings() -> Result<SessionSettings, String> {
    SessionSettings::from_setting(setting("AKUA_DASHBOARD_ABSOLUTE_SECS").as_deref())
}

/// The secret scanner whose leak reports are accepted
/// (`AKUA_LEAK_KEYS_URL`, default GitHub's keys).
pub fn leak_config() -> LeakConfig {
    LeakConfig::github(setting("AKUA_LEAK_KEYS_URL"))
}
