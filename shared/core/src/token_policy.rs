//! A workspace's token policy (docs/DESIGN.md, "Restricted tokens"): rules
//! its owners set for every API token made or rolled in it. Kept on the
//! workspace's item; read when a token is made, rolled or listed, never by
//! the authorizer (what a token may do is on the token).

use serde::{Deserialize, Serialize};

use crate::allow_list::{self, AllowList};
use crate::api_error::ApiError;

/// The longest `max_lifetime_days` a policy may set (five years, the
/// longest expiry a token may have).
pub const MAX_POLICY_DAYS: u32 = 5 * 365;

const DAY_SECS: i64 = 24 * 3600;

/// The rules. The default asks nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenPolicy {
    /// A token's expiry is at most this many days after it is made or
    /// rolled (and so it must have one).
    pub max_lifetime_days: Option<u32>,
    /// Every token must expire.
    pub require_expiry: bool,
    /// Tokens may be used only from these networks: a token made without
    /// an allow list gets this one; one with its own must stay within it.
    pub allowed_cidrs: AllowList,
}

/// The policy as the API shows and takes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenPolicyBody {
    /// Days, 1–1825; `null` for no limit.
    #[serde(default, deserialize_with = "whole_days")]
    #[schema(required = true, minimum = 1, maximum = 1825)]
    pub max_lifetime_days: Option<u32>,
    #[serde(default)]
    pub require_expiry: bool,
    /// IPv4 and IPv6 networks in CIDR notation, at most 20; empty for
    /// anywhere.
    #[serde(default)]
    #[schema(max_items = 20, example = json!(["10.0.0.0/8"]))]
    pub allowed_cidrs: Vec<String>,
}

/// A number of days as JSON Schema's `integer` has it: `30` and `30.0`
/// alike; a fraction, a negative or a huge number is refused.
fn whole_days<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    use serde::de::Error;
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    n.as_u64()
        .or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= f64::from(u32::MAX))
                .map(|f| f as u64)
        })
        .and_then(|v| u32::try_from(v).ok())
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("{n} is not a whole number of days")))
}

impl TokenPolicyBody {
    /// Parsed: `422` naming the field and value that are wrong.
    pub fn parse(self) -> Result<TokenPolicy, ApiError> {
        if let Some(days) = self.max_lifetime_days
            && !(1..=MAX_POLICY_DAYS).contains(&days)
        {
            return Err(ApiError::validation(
                "token_policy.max_lifetime_days",
                format!("must be between 1 and {MAX_POLICY_DAYS} days, or null"),
            ));
        }
        let allowed_cidrs =
            AllowList::requested_as(&self.allowed_cidrs, "token_policy.allowed_cidrs")?;
        Ok(TokenPolicy {
            max_lifetime_days: self.max_lifetime_days,
            require_expiry: self.require_expiry,
            allowed_cidrs,
        })
    }
}

impl From<&TokenPolicy> for TokenPolicyBody {
    fn from(p: &TokenPolicy) -> Self {
        Self {
            max_lifetime_days: p.max_lifetime_days,
            require_expiry: p.require_expiry,
            allowed_cidrs: p.allowed_cidrs.to_strings(),
        }
    }
}

impl TokenPolicy {
    /// Checks a token made or rolled at `now` with `expires_at` and its
    /// allow list; returns the allow list it gets (the policy's when it
    /// asked for none). `422` naming the rule it breaks.
    pub fn admit(
        &self,
        expires_at: Option<i64>,
        allowed_cidrs: AllowList,
        now: i64,
    ) -> Result<AllowList, ApiError> {
        if let Some(rule) = self.broken_by(expires_at, now) {
            return Err(ApiError::validation("expires_at", rule));
        }
        if allowed_cidrs.is_anywhere() {
            return Ok(self.allowed_cidrs.clone());
        }
        if let Some(outside) = allowed_cidrs.first_outside(&self.allowed_cidrs) {
            return Err(ApiError::validation(
                allow_list::FIELD,
                format!(
                    "{outside} is outside the workspace's token policy ({})",
                    self.allowed_cidrs
                ),
            ));
        }
        Ok(allowed_cidrs)
    }

    /// The expiry rule a token expiring at `expires_at` breaks at `now`.
    fn broken_by(&self, expires_at: Option<i64>, now: i64) -> Option<String> {
        match (self.max_lifetime_days, expires_at) {
            (Some(days), None) => Some(format!(
                "the workspace's token policy requires an expiry at most {days} days ahead"
            )),
            (Some(days), Some(at)) if at - now > i64::from(days) * DAY_SECS => Some(format!(
                "must be at most {days} days ahead (the workspace's token policy)"
            )),
            (None, None) if self.require_expiry => {
                Some("the workspace's token policy requires an expiry".to_owned())
            }
            _ => None,
        }
    }

    /// Whether a live token would not be admitted today: no expiry where
    /// one is required, more time left than allowed, or an allow list
    /// wider than the policy's. Such tokens are listed as exceeding it,
    /// never revoked behind their owners' backs.
    pub fn exceeded_by(
        &self,
        expires_at: Option<i64>,
        allowed_cidrs: &AllowList,
        now: i64,
    ) -> bool {
        self.broken_by(expires_at, now).is_some()
            || allowed_cidrs.first_outside(&self.allowed_cidrs).is_some()
    }

    /// The audit event's detail.
    pub fn describe(&self) -> String {
        format!(
            "max_lifetime_days={}, require_expiry={}, allowed_cidrs={}",
            self.max_lifetime_days
                .map_or("null".to_owned(), |d| d.to_string()),
            self.require_expiry,
            if self.allowed_cidrs.is_anywhere() {
                "anywhere".to_owned()
            } else {
                self.allowed_cidrs.to_string()
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn thirty_days() -> TokenPolicy {
        TokenPolicy {
            max_lifetime_days: Some(30),
            ..TokenPolicy::default()
        }
    }

    #[test]
    fn a_maximum_lifetime_needs_an_expiry_within_it() {
        let p = thirty_days();
        assert!(p.admit(None, AllowList::ANYWHERE, NOW).is_err());
        assert!(
            p.admit(Some(NOW + 90 * DAY_SECS), AllowList::ANYWHERE, NOW)
                .is_err()
        );
        assert!(
            p.admit(Some(NOW + 7 * DAY_SECS), AllowList::ANYWHERE, NOW)
                .is_ok()
        );
        assert!(
            p.admit(Some(NOW + 30 * DAY_SECS), AllowList::ANYWHERE, NOW)
                .is_ok()
        );
        let e = p.admit(None, AllowList::ANYWHERE, NOW).unwrap_err();
        assert!(matches!(e, ApiError::Validation { ref field, .. } if field == "expires_at"));
        assert!(
            TokenPolicy::default()
                .admit(None, AllowList::ANYWHERE, NOW)
                .is_ok()
        );
    }

    #[test]
    fn requiring_an_expiry_refuses_tokens_that_never_expire() {
        let p = TokenPolicy {
            require_expiry: true,
            ..TokenPolicy::default()
        };
        assert!(p.admit(None, AllowList::ANYWHERE, NOW).is_err());
        assert!(
            p.admit(Some(NOW + 400 * DAY_SECS), AllowList::ANYWHERE, NOW)
                .is_ok()
        );
    }

    #[test]
    fn the_policy_s_allow_list_is_the_default_and_the_bound() {
        let p = TokenPolicy {
            allowed_cidrs: AllowList::parse(["10.0.0.0/8"]).unwrap(),
            ..TokenPolicy::default()
        };
        assert_eq!(
            p.admit(None, AllowList::ANYWHERE, NOW).unwrap(),
            p.allowed_cidrs
        );
        let inside = AllowList::parse(["10.9.0.0/16"]).unwrap();
        assert_eq!(p.admit(None, inside.clone(), NOW).unwrap(), inside);
        let e = p
            .admit(None, AllowList::parse(["192.168.0.0/16"]).unwrap(), NOW)
            .unwrap_err();
        assert!(e.to_string().contains("192.168.0.0/16"), "{e}");
        assert!(p.exceeded_by(None, &AllowList::ANYWHERE, NOW));
        assert!(!p.exceeded_by(None, &inside, NOW));
    }

    #[test]
    fn older_tokens_exceed_a_stricter_policy_without_being_refused() {
        let p = thirty_days();
        assert!(p.exceeded_by(None, &AllowList::ANYWHERE, NOW));
        assert!(p.exceeded_by(Some(NOW + 31 * DAY_SECS), &AllowList::ANYWHERE, NOW));
        assert!(!p.exceeded_by(Some(NOW + DAY_SECS), &AllowList::ANYWHERE, NOW));
    }

    #[test]
    fn days_are_whole_numbers_written_either_way() {
        let parse =
            |json: &str| serde_json::from_str::<TokenPolicyBody>(json).map(|b| b.max_lifetime_days);
        assert_eq!(parse(r#"{"max_lifetime_days": 30}"#).unwrap(), Some(30));
        assert_eq!(parse(r#"{"max_lifetime_days": 30.0}"#).unwrap(), Some(30));
        assert_eq!(parse(r#"{"max_lifetime_days": null}"#).unwrap(), None);
        assert_eq!(parse(r#"{}"#).unwrap(), None);
        assert!(parse(r#"{"max_lifetime_days": 1.5}"#).is_err());
        assert!(parse(r#"{"max_lifetime_days": -1}"#).is_err());
    }

    #[test]
    fn the_body_names_a_bad_field() {
        let bad = TokenPolicyBody {
            max_lifetime_days: Some(0),
            ..Default::default()
        };
        assert!(
            bad.parse()
                .unwrap_err()
                .to_string()
                .contains("max_lifetime_days")
        );
        let bad = TokenPolicyBody {
            allowed_cidrs: vec!["10.0.0.0/99".into()],
            ..Default::default()
        };
        let e = bad.parse().unwrap_err();
        assert!(e.to_string().contains("token_policy.allowed_cidrs"), "{e}");
        assert!(e.to_string().contains("10.0.0.0/99"), "{e}");
    }
}
