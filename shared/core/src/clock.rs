//! Time as the service sees it: Unix seconds (DESIGN §6).
//!
//! Every rule that depends on time takes `now` as an argument instead of
//! reading the clock, so tests move time forward without sleeping.

/// Seconds since the Unix epoch, from the system clock.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A setting of whole seconds within `(low, high)`, from its text (`name`
/// is the setting, for the error); absent: `default`.
pub fn seconds_setting(
    name: &str,
    text: Option<&str>,
    (low, high): (i64, i64),
    default: i64,
) -> Result<i64, String> {
    let Some(text) = text else {
        return Ok(default);
    };
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|secs| (low..=high).contains(secs))
        .ok_or_else(|| format!("{name} must be a whole number of seconds from {low} to {high}"))
}

/// A moment in whole seconds since the Unix epoch: how every time is
/// written on the wire and in the table. Serialised as the bare number.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct UnixTime(pub i64);

impl UnixTime {
    pub fn secs(self) -> i64 {
        self.0
    }
}
