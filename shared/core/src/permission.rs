//! Permissions: what a restricted token may do, named `resource:action`
//! (docs/DESIGN.md, "Restricted tokens"). A leaf module.
//!
//! The catalog has two halves: the service's own ([`ServicePermission`],
//! declared on its routes in [`crate::routes`]) and the platform's, read
//! with its route map from `platform/permissions.json`, which is compiled
//! into every binary (an environment variable caps at 4 KB, and a typo must
//! fail a test in CI, not a request in production).

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::api_error::ApiError;

/// At most this many permissions per token.
pub const MAX_PERMISSIONS: usize = 50;

/// The JSON field requests name the list by.
pub const FIELD: &str = "permissions";

/// A permission's name: `resource:action`, each part a lowercase letter
/// then lowercase letters, digits or `_`, 64 characters at most in all.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Permission(Box<str>);

/// Not a permission name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a permission name (resource:action, lowercase)")]
pub struct InvalidPermission(pub String);

fn is_part(part: &str) -> bool {
    let mut bytes = part.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Permission {
    /// Checks the shape only; whether the catalog has it is
    /// [`Permissions::requested`]'s question.
    pub fn parse(name: &str) -> Result<Self, InvalidPermission> {
        match name.split_once(':') {
            Some((resource, action))
                if name.len() <= 64 && is_part(resource) && is_part(action) =>
            {
                Ok(Self(name.into()))
            }
            _ => Err(InvalidPermission(name.chars().take(64).collect())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Permission {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The service's own permissions: each of its routes that a token may
/// call declares one of these ([`crate::routes::Access`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServicePermission {
    ApiTokensRead,
    ApiTokensWrite,
    ApiTokensIntrospect,
    MembersRead,
    MembersWrite,
    AuditLogRead,
    WorkspacesRead,
    WorkspacesWrite,
}

impl ServicePermission {
    pub const ALL: [ServicePermission; 8] = [
        Self::ApiTokensRead,
        Self::ApiTokensWrite,
        Self::ApiTokensIntrospect,
        Self::MembersRead,
        Self::MembersWrite,
        Self::AuditLogRead,
        Self::WorkspacesRead,
        Self::WorkspacesWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApiTokensRead => "api_tokens:read",
            Self::ApiTokensWrite => "api_tokens:write",
            Self::ApiTokensIntrospect => "api_tokens:introspect",
            Self::MembersRead => "members:read",
            Self::MembersWrite => "members:write",
            Self::AuditLogRead => "audit_log:read",
            Self::WorkspacesRead => "workspaces:read",
            Self::WorkspacesWrite => "workspaces:write",
        }
    }

    /// What it lets a token do, for the catalog and the API document.
    pub fn what(self) -> &'static str {
        match self {
            Self::ApiTokensRead => "List API tokens (a workspace's, or your multi-workspace ones).",
            Self::ApiTokensWrite => "Create, roll and revoke API tokens.",
            Self::ApiTokensIntrospect => {
                "Ask whether a credential is good in the workspace (RFC 7662 introspection)."
            }
            Self::MembersRead => "List a workspace's members.",
            Self::MembersWrite => "Add and remove members, change their roles.",
            Self::AuditLogRead => "Read audit logs.",
            Self::WorkspacesRead => "List workspaces and read one, with its token policy.",
            Self::WorkspacesWrite => "Create workspaces and change their token policy.",
        }
    }
}

/// Whose catalog a permission is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// This service's routes.
    Service,
    /// The platform's routes behind the same authorizer.
    Platform,
}

/// One permission the catalog offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogEntry {
    pub name: Permission,
    pub what: String,
    pub owner: Owner,
}

/// One route of the platform's route map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformRoute {
    /// `GET`, `POST`, `PUT`, `PATCH`, `DELETE`, `HEAD`, `OPTIONS` or `ANY`.
    pub method: String,
    /// `/`-separated; `{name}` is one segment, a last `{name+}` the rest.
    pub path: String,
    pub permission: Permission,
}

/// The platform's half: its catalog and its route map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlatformMap {
    pub permissions: Vec<CatalogEntry>,
    pub routes: Vec<PlatformRoute>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    #[serde(rename = "$comment", default)]
    _comment: Option<String>,
    permissions: BTreeMap<String, String>,
    routes: Vec<DocumentRoute>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentRoute {
    method: String,
    path: String,
    permission: String,
}

const METHODS: [&str; 8] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

/// Whether `path` is a route pattern: starts with `/`, no empty segment,
/// parameters `{name}` whole segments, a greedy `{name+}` only last.
pub fn is_pattern(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    let segments: Vec<&str> = rest.split('/').collect();
    segments.iter().enumerate().all(|(i, s)| {
        let param = s.strip_prefix('{').and_then(|p| p.strip_suffix('}'));
        match param {
            Some(name) => {
                let (name, greedy) = name.strip_suffix('+').map_or((name, false), |n| (n, true));
                !name.is_empty()
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    && (!greedy || i + 1 == segments.len())
            }
            None => !s.is_empty() && !s.contains(['{', '}']),
        }
    })
}

impl PlatformMap {
    /// Reads and checks a route-map document: every key known, every name
    /// well formed and not one of the service's, every route's method and
    /// pattern valid, its permission in the catalog, no route twice.
    pub fn parse(text: &str) -> Result<Self, String> {
        let doc: Document = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let service: BTreeSet<&str> = ServicePermission::ALL.iter().map(|p| p.as_str()).collect();
        let mut permissions = Vec::new();
        for (name, what) in doc.permissions {
            let name = Permission::parse(&name).map_err(|e| e.to_string())?;
            if service.contains(name.as_str()) {
                return Err(format!("{name} is one of the service's own permissions"));
            }
            permissions.push(CatalogEntry {
                name,
                what,
                owner: Owner::Platform,
            });
        }
        let mut seen = BTreeSet::new();
        let mut routes = Vec::new();
        for r in doc.routes {
            if !METHODS.contains(&r.method.as_str()) {
                return Err(format!("{}: unknown method {:?}", r.path, r.method));
            }
            if !is_pattern(&r.path) {
                return Err(format!("{:?} is not a route pattern", r.path));
            }
            if !seen.insert((r.method.clone(), r.path.clone())) {
                return Err(format!("{} {} is mapped twice", r.method, r.path));
            }
            if !permissions.iter().any(|p| p.name.as_str() == r.permission) {
                return Err(format!(
                    "{} {} needs {:?}, which the catalog does not list",
                    r.method, r.path, r.permission
                ));
            }
            routes.push(PlatformRoute {
                method: r.method,
                path: r.path,
                permission: Permission::parse(&r.permission).map_err(|e| e.to_string())?,
            });
        }
        Ok(Self {
            permissions,
            routes,
        })
    }
}

/// The platform's route-map document, as compiled in.
pub const PLATFORM_DOCUMENT: &str = include_str!("../../../platform/permissions.json");

/// The platform's half as compiled in. A document that does not parse
/// (which a test stops in CI) maps nothing: restricted tokens are then
/// refused on every platform route (fail closed).
pub fn platform() -> &'static PlatformMap {
    static MAP: LazyLock<PlatformMap> = LazyLock::new(|| {
        PlatformMap::parse(PLATFORM_DOCUMENT).unwrap_or_else(|e| {
            tracing::error!(error = %e, "platform/permissions.json does not parse");
            PlatformMap::default()
        })
    });
    &MAP
}

/// Every permission a token may be given: the service's, then the
/// platform's.
pub fn catalog() -> &'static [CatalogEntry] {
    static CATALOG: LazyLock<Vec<CatalogEntry>> = LazyLock::new(|| {
        ServicePermission::ALL
            .iter()
            .map(|p| CatalogEntry {
                name: Permission(p.as_str().into()),
                what: p.what().to_owned(),
                owner: Owner::Service,
            })
            .chain(platform().permissions.iter().cloned())
            .collect()
    });
    &CATALOG
}

/// One permission of the catalog, as `GET /v1/permissions` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PermissionView {
    /// `resource:action`.
    #[schema(example = "api_tokens:read")]
    pub name: String,
    pub description: String,
    /// `service` (this API's routes) or `platform` (the routes behind the
    /// same authorizer, from the platform's route map).
    #[schema(value_type = String, example = "service")]
    pub owner: String,
}

/// `GET /v1/permissions`: every permission a token may be given.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PermissionCatalog {
    pub data: Vec<PermissionView>,
}

impl PermissionCatalog {
    pub fn current() -> Self {
        Self {
            data: catalog()
                .iter()
                .map(|e| PermissionView {
                    name: e.name.to_string(),
                    description: e.what.clone(),
                    owner: match e.owner {
                        Owner::Service => "service",
                        Owner::Platform => "platform",
                    }
                    .to_owned(),
                })
                .collect(),
        }
    }
}

/// What a restricted token holds: 1 to [`MAX_PERMISSIONS`] names, in
/// order, without repeats. A token without a set is not restricted (it
/// may do everything its role allows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permissions(BTreeSet<Permission>);

impl Permissions {
    /// A request's `permissions`: each name in the catalog (`422` naming
    /// the first that is not), at least one and at most [`MAX_PERMISSIONS`].
    pub fn requested(names: &[String]) -> Result<Self, ApiError> {
        if names.is_empty() || names.len() > MAX_PERMISSIONS {
            return Err(ApiError::validation(
                FIELD,
                format!(
                    "must name 1 to {MAX_PERMISSIONS} permissions (leave it out for everything the role allows)"
                ),
            ));
        }
        let catalog = catalog();
        names
            .iter()
            .map(|name| {
                catalog
                    .iter()
                    .find(|e| e.name.as_str() == name)
                    .map(|e| e.name.clone())
                    .ok_or_else(|| {
                        ApiError::validation(
                            FIELD,
                            format!(
                                "unknown permission {:?} (see the catalog: GET /v1/permissions)",
                                name.chars().take(64).collect::<String>()
                            ),
                        )
                    })
            })
            .collect::<Result<BTreeSet<_>, _>>()
            .map(Self)
    }

    /// A stored or forwarded set: names checked for shape only (a name the
    /// platform has since dropped stays held; no route asks for it).
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, InvalidPermission> {
        let set = names
            .into_iter()
            .map(Permission::parse)
            .collect::<Result<BTreeSet<_>, _>>()?;
        if set.is_empty() {
            return Err(InvalidPermission(String::new()));
        }
        Ok(Self(set))
    }

    /// The whole catalog, as held by a token that is not restricted.
    pub fn everything() -> Self {
        Self(catalog().iter().map(|e| e.name.clone()).collect())
    }

    pub fn holds(&self, name: &str) -> bool {
        self.0.contains(name)
    }

    /// The first of `other`'s permissions `self` does not hold.
    pub fn first_missing<'a>(&self, other: &'a Permissions) -> Option<&'a Permission> {
        other.0.iter().find(|p| !self.0.contains(*p))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Permission> {
        self.0.iter()
    }

    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

impl fmt::Display for Permissions {
    /// Space-separated, like an OAuth `scope` (the authorizer context's
    /// encoding).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_strings().join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_platform_document_in_the_repository_parses() {
        let map = PlatformMap::parse(PLATFORM_DOCUMENT).expect("platform/permissions.json");
        assert_eq!(platform(), &map);
        assert_eq!(
            catalog().len(),
            ServicePermission::ALL.len() + map.permissions.len()
        );
    }

    #[test]
    fn a_typo_in_the_document_is_an_error_naming_it() {
        let doc = |routes: &str| {
            format!(r#"{{"permissions": {{"deployments:read": "r"}}, "routes": [{routes}]}}"#)
        };
        let ok = doc(
            r#"{"method": "GET", "path": "/v1/deployments/{id}", "permission": "deployments:read"}"#,
        );
        assert!(PlatformMap::parse(&ok).is_ok());
        for (bad, says) in [
            (
                doc(r#"{"method": "GET", "path": "/v1/d", "permission": "deployment:read"}"#),
                "deployment:read",
            ),
            (
                doc(r#"{"method": "GTE", "path": "/v1/d", "permission": "deployments:read"}"#),
                "GTE",
            ),
            (
                doc(r#"{"method": "GET", "path": "v1/d", "permission": "deployments:read"}"#),
                "v1/d",
            ),
            (
                doc(r#"{"method": "GET", "path": "/v1/{p+}/x", "permission": "deployments:read"}"#),
                "{p+}",
            ),
            (
                doc(r#"{"method": "GET", "path": "/v1/d", "permision": "deployments:read"}"#),
                "permision",
            ),
            (
                doc(
                    r#"{"method": "GET", "path": "/v1/d", "permission": "deployments:read"}, {"method": "GET", "path": "/v1/d", "permission": "deployments:read"}"#,
                ),
                "twice",
            ),
            (
                r#"{"permissions": {"api_tokens:read": "x"}, "routes": []}"#.to_owned(),
                "service",
            ),
            (
                r#"{"permissions": {"Deploy": "x"}, "routes": []}"#.to_owned(),
                "Deploy",
            ),
        ] {
            let e = PlatformMap::parse(&bad).unwrap_err();
            assert!(e.contains(says), "{e} should name {says}");
        }
    }

    #[test]
    fn names_are_resource_colon_action() {
        for good in ["api_tokens:read", "a:b", "deploy2:write_all"] {
            assert!(Permission::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "", "read", "a:", ":b", "A:b", "a:b:c", "a b:c", "a:b ", "1a:b",
        ] {
            assert!(Permission::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_request_names_only_catalog_permissions() {
        let p = Permissions::requested(&[
            "members:read".into(),
            "api_tokens:read".into(),
            "members:read".into(),
        ])
        .unwrap();
        assert_eq!(p.to_string(), "api_tokens:read members:read");
        let e = Permissions::requested(&["api_tokens:delete".into()]).unwrap_err();
        assert!(e.to_string().contains("api_tokens:delete"), "{e}");
        assert!(Permissions::requested(&[]).is_err());
        let all = Permissions::everything();
        assert!(all.holds("deployments:read"));
        assert_eq!(all.first_missing(&p), None);
        assert_eq!(
            p.first_missing(&all).map(Permission::as_str),
            Some("api_tokens:introspect")
        );
    }
}
