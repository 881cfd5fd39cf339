//! What narrows an API token beyond its role (docs/DESIGN.md, "Restricted
//! tokens"): the permissions it holds and the networks it may be used
//! from. Both live on the credential's item, so the authorizer checks them
//! with the read it already makes.

use std::net::IpAddr;

use crate::allow_list::AllowList;
use crate::api_error::{ApiError, Refusal};
use crate::permission::Permissions;

/// A token's restrictions. The default restricts nothing: every token made
/// before restrictions existed keeps working unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restrictions {
    /// `None`: everything the token's role allows.
    pub permissions: Option<Permissions>,
    /// Empty: from anywhere.
    pub allowed_cidrs: AllowList,
}

impl Restrictions {
    pub fn is_restricted(&self) -> bool {
        self.permissions.is_some() || !self.allowed_cidrs.is_anywhere()
    }

    /// Whether `permission` is held (a token without a set holds all).
    pub fn holds(&self, permission: &str) -> bool {
        self.permissions
            .as_ref()
            .is_none_or(|p| p.holds(permission))
    }

    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        self.allowed_cidrs.allows(ip)
    }

    /// What a token made by a holder of `self` gets for what was asked: a
    /// token can only grant what it holds (`403` naming the first thing it
    /// lacks). Nothing asked takes the maker's own: a restricted token
    /// makes restricted tokens.
    pub fn grant(
        &self,
        permissions: Option<Permissions>,
        allowed_cidrs: AllowList,
    ) -> Result<Restrictions, ApiError> {
        let permissions = match (&self.permissions, permissions) {
            (None, asked) => asked,
            (Some(mine), None) => Some(mine.clone()),
            (Some(mine), Some(asked)) => {
                if let Some(missing) = mine.first_missing(&asked) {
                    return Err(ApiError::InsufficientPermission(missing.to_string()));
                }
                Some(asked)
            }
        };
        let allowed_cidrs = if allowed_cidrs.is_anywhere() {
            self.allowed_cidrs.clone()
        } else {
            if let Some(outside) = allowed_cidrs.first_outside(&self.allowed_cidrs) {
                return Err(wider_network(&outside));
            }
            allowed_cidrs
        };
        Ok(Restrictions {
            permissions,
            allowed_cidrs,
        })
    }

    /// Whether a holder of `self` may roll a token restricted by `target`:
    /// rolling is creating, so it must hold everything the target holds
    /// and be usable from everywhere the target is (`403` otherwise).
    pub fn covers(&self, target: &Restrictions) -> Result<(), ApiError> {
        if let Some(mine) = &self.permissions {
            let theirs = target
                .permissions
                .clone()
                .unwrap_or_else(Permissions::everything);
            if let Some(missing) = mine.first_missing(&theirs) {
                return Err(ApiError::InsufficientPermission(missing.to_string()));
            }
        }
        match target.allowed_cidrs.first_outside(&self.allowed_cidrs) {
            Some(outside) => Err(wider_network(&outside)),
            None => Ok(()),
        }
    }
}

fn wider_network(outside: &str) -> ApiError {
    ApiError::Forbidden(
        Refusal::ExceedsCreator,
        format!("allowed_cidrs: {outside} is outside the allow list of the token making this one"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perms(names: &[&str]) -> Option<Permissions> {
        Some(Permissions::parse(names.iter().copied()).unwrap())
    }

    fn nets(values: &[&str]) -> AllowList {
        AllowList::parse(values.iter().copied()).unwrap()
    }

    #[test]
    fn an_unrestricted_maker_grants_what_is_asked() {
        let got = Restrictions::default()
            .grant(perms(&["api_tokens:read"]), nets(&["10.0.0.0/8"]))
            .unwrap();
        assert_eq!(got.permissions, perms(&["api_tokens:read"]));
        assert!(got.is_restricted());
        assert!(!Restrictions::default().is_restricted());
    }

    #[test]
    fn a_restricted_maker_grants_at_most_what_it_holds() {
        let maker = Restrictions {
            permissions: perms(&["api_tokens:read", "api_tokens:write"]),
            allowed_cidrs: nets(&["10.0.0.0/8"]),
        };
        let inherited = maker.grant(None, AllowList::ANYWHERE).unwrap();
        assert_eq!(inherited, maker);
        let narrower = maker
            .grant(perms(&["api_tokens:read"]), nets(&["10.1.0.0/16"]))
            .unwrap();
        assert_eq!(narrower.permissions, perms(&["api_tokens:read"]));
        let e = maker
            .grant(perms(&["members:write"]), AllowList::ANYWHERE)
            .unwrap_err();
        assert_eq!(e, ApiError::InsufficientPermission("members:write".into()));
        let e = maker.grant(None, nets(&["0.0.0.0/0"])).unwrap_err();
        assert!(e.to_string().contains("0.0.0.0/0"), "{e}");
    }

    #[test]
    fn rolling_needs_everything_the_target_holds() {
        let reader = Restrictions {
            permissions: perms(&["api_tokens:read", "api_tokens:write"]),
            allowed_cidrs: AllowList::ANYWHERE,
        };
        assert!(reader.covers(&Restrictions::default()).is_err());
        assert!(
            reader
                .covers(&Restrictions {
                    permissions: perms(&["api_tokens:read"]),
                    allowed_cidrs: nets(&["10.0.0.0/8"]),
                })
                .is_ok()
        );
        let fenced = Restrictions {
            permissions: None,
            allowed_cidrs: nets(&["10.0.0.0/8"]),
        };
        assert!(fenced.covers(&Restrictions::default()).is_err());
        assert!(Restrictions::default().covers(&fenced).is_ok());
    }
}
