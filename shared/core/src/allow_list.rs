//! IP allow lists: the networks a restricted token may be used from
//! (docs/DESIGN.md, "Restricted tokens"). A leaf module: records,
//! principals, the decision and the workspace token policy all hold one.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::api_error::ApiError;

/// At most this many networks per list: the authorizer checks each on
/// every request, and the list travels in its context.
pub const MAX_ALLOWED_CIDRS: usize = 20;

/// The JSON field requests name the list by.
pub const FIELD: &str = "allowed_cidrs";

/// Networks in CIDR notation, IPv4 and IPv6, at most
/// [`MAX_ALLOWED_CIDRS`]; empty means from anywhere. Kept as networks
/// (host bits cleared), sorted and without repeats, so two lists that allow
/// the same addresses the same way are equal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(Vec<IpNet>);

/// A value that is not a network in CIDR notation (nor a single address).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IP network in CIDR notation (e.g. 10.0.0.0/8 or 2001:db8::/32)")]
pub struct InvalidCidr(pub String);

impl AllowList {
    /// From anywhere.
    pub const ANYWHERE: AllowList = AllowList(Vec::new());

    /// Parses networks as a request or a stored item spells them. A bare
    /// address is its own network (`/32`, `/128`); host bits are cleared
    /// (`10.1.2.3/8` is `10.0.0.0/8`).
    pub fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<Self, InvalidCidr> {
        let mut nets = values
            .into_iter()
            .map(|v| {
                let v = v.trim();
                v.parse::<IpNet>()
                    .or_else(|_| v.parse::<IpAddr>().map(IpNet::from))
                    .map(|net| net.trunc())
                    .map_err(|_| InvalidCidr(v.chars().take(64).collect()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        nets.sort();
        nets.dedup();
        Ok(Self(nets))
    }

    /// A request's `allowed_cidrs`: `422` naming the first bad value, or
    /// the count when there are too many.
    pub fn requested(values: &[String]) -> Result<Self, ApiError> {
        Self::requested_as(values, FIELD)
    }

    /// [`AllowList::requested`] for a list the request names `field`.
    pub fn requested_as(values: &[String], field: &str) -> Result<Self, ApiError> {
        if values.len() > MAX_ALLOWED_CIDRS {
            return Err(ApiError::validation(
                field,
                format!("must list at most {MAX_ALLOWED_CIDRS} networks"),
            ));
        }
        Self::parse(values.iter().map(String::as_str))
            .map_err(|e| ApiError::validation(field, e.to_string()))
    }

    pub fn is_anywhere(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a request from `ip` may use the credential. An IPv4 address
    /// written as IPv6 (`::ffff:10.0.0.1`) is read as the IPv4 one.
    pub fn allows(&self, ip: IpAddr) -> bool {
        if self.0.is_empty() {
            return true;
        }
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The first network of `self` that `outer` does not contain whole;
    /// `None` when `self` allows no address `outer` refuses. Anywhere is
    /// within only anywhere.
    pub fn first_outside(&self, outer: &AllowList) -> Option<String> {
        if outer.is_anywhere() {
            return None;
        }
        if self.is_anywhere() {
            return Some("anywhere (no allow list)".to_owned());
        }
        self.0
            .iter()
            .find(|net| !outer.0.iter().any(|o| o.contains(*net)))
            .map(ToString::to_string)
    }

    /// The networks as text, in order.
    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

impl fmt::Display for AllowList {
    /// Space-separated (the authorizer context's encoding).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_strings().join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(values: &[&str]) -> AllowList {
        AllowList::parse(values.iter().copied()).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_allow_their_addresses_in_both_families() {
        let l = list(&["10.0.0.0/8", "2001:db8::/32"]);
        assert!(l.allows(ip("10.200.1.1")));
        assert!(!l.allows(ip("11.0.0.1")));
        assert!(l.allows(ip("2001:db8::1")));
        assert!(!l.allows(ip("2001:db9::1")));
        assert!(l.allows(ip("::ffff:10.0.0.1")), "IPv4-mapped");
        assert!(AllowList::ANYWHERE.allows(ip("8.8.8.8")));
        assert!(list(&["127.0.0.0/8", "::1/128"]).allows(ip("::1")));
    }

    #[test]
    fn parsing_normalises_and_names_a_bad_value() {
        assert_eq!(list(&["10.1.2.3/8", "10.0.0.0/8"]), list(&["10.0.0.0/8"]));
        assert_eq!(list(&["192.0.2.7"]).to_strings(), ["192.0.2.7/32"]);
        assert_eq!(
            AllowList::parse(["10.0.0.0/33"]),
            Err(InvalidCidr("10.0.0.0/33".into()))
        );
        let e = AllowList::requested(&["nope".into()]).unwrap_err();
        assert!(e.to_string().contains("\"nope\""), "{e}");
        let many: Vec<String> = (0..21).map(|i| format!("10.0.{i}.0/24")).collect();
        assert!(AllowList::requested(&many).is_err());
    }

    #[test]
    fn a_list_is_within_another_only_if_every_network_is() {
        let outer = list(&["10.0.0.0/8"]);
        assert_eq!(list(&["10.1.0.0/16"]).first_outside(&outer), None);
        assert_eq!(
            list(&["10.1.0.0/16", "192.168.0.0/16"]).first_outside(&outer),
            Some("192.168.0.0/16".into())
        );
        assert!(AllowList::ANYWHERE.first_outside(&outer).is_some());
        assert_eq!(outer.first_outside(&AllowList::ANYWHERE), None);
        assert_eq!(
            list(&["10.0.0.0/8", "::1/128"]).to_string(),
            "10.0.0.0/8 ::1/128"
        );
    }
}
