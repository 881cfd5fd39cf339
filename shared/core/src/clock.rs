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
