//! Which permission a request needs, as the authorizer finds it: the
//! service's own routes ([`crate::routes::ROUTES`]) and the platform's
//! route map ([`crate::permission::platform`]) in one table, built once per
//! process (docs/DESIGN.md, "Restricted tokens").
//!
//! A request is found first by its route template (API Gateway's
//! `resource`, an HTTP API's `routeKey`): one hash lookup. A template the
//! map does not name (a `{proxy+}` resource) falls back to matching the
//! request's path against the patterns. Only restricted tokens ask.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::permission::{self, is_pattern};
use crate::routes::ROUTES;

/// What a route asks of a restricted token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needed {
    /// Nothing beyond a valid credential.
    Nothing,
    /// This permission.
    Permission(&'static str),
}

/// The request as the authorizer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Target<'a> {
    /// As HTTP spells it (`GET`).
    pub method: &'a str,
    /// The route template the gateway matched (`/v1/api_tokens/{id}`).
    pub template: Option<&'a str>,
    /// The path as requested, from the API's base (no stage).
    pub path: Option<&'a str>,
}

struct Pattern {
    method: &'static str,
    segments: Vec<&'static str>,
    needed: Needed,
}

/// The table.
pub struct RouteMap {
    /// Template → its methods.
    exact: HashMap<&'static str, Vec<(&'static str, Needed)>>,
    patterns: Vec<Pattern>,
}

impl RouteMap {
    fn build() -> Self {
        let mut all: Vec<(&'static str, &'static str, Needed)> = ROUTES
            .iter()
            .filter(|r| r.behind_authorizer())
            .map(|r| {
                let needed = r
                    .permission()
                    .map_or(Needed::Nothing, |p| Needed::Permission(p.as_str()));
                (r.method.as_str(), r.path, needed)
            })
            .collect();
        for r in &permission::platform().routes {
            all.push((
                r.method.as_str(),
                r.path.as_str(),
                Needed::Permission(r.permission.as_str()),
            ));
        }
        let mut exact: HashMap<&'static str, Vec<(&'static str, Needed)>> = HashMap::new();
        let mut patterns = Vec::new();
        for (method, path, needed) in all {
            exact.entry(path).or_default().push((method, needed));
            if is_pattern(path) {
                patterns.push(Pattern {
                    method,
                    segments: path[1..].split('/').collect(),
                    needed,
                });
            }
        }
        Self { exact, patterns }
    }

    /// What the request needs; `None` for a route the map does not name
    /// (a restricted token is refused there).
    pub fn lookup(&self, target: &Target<'_>) -> Option<Needed> {
        let by_method = |method: &str, m: &str| m == method || m == "ANY";
        if let Some(routes) = target.template.and_then(|t| self.exact.get(t)) {
            return routes
                .iter()
                .find(|(m, _)| *m == target.method)
                .or_else(|| routes.iter().find(|(m, _)| by_method(target.method, m)))
                .map(|(_, needed)| *needed);
        }
        let path = target.path?.strip_prefix('/')?;
        let segments: Vec<&str> = path.split('/').collect();
        // The most literal pattern wins: `/v1/x/mine` before `/v1/x/{id}`.
        self.patterns
            .iter()
            .filter(|p| by_method(target.method, p.method) && matches(&p.segments, &segments))
            .max_by_key(|p| p.segments.iter().filter(|s| !s.starts_with('{')).count())
            .map(|p| p.needed)
    }
}

fn matches(pattern: &[&str], path: &[&str]) -> bool {
    let mut path = path.iter();
    for (i, seg) in pattern.iter().enumerate() {
        if seg.ends_with("+}") {
            // Greedy, last: one segment or more.
            return i + 1 == pattern.len() && path.next().is_some_and(|s| !s.is_empty());
        }
        match path.next() {
            Some(p) if seg.starts_with('{') => {
                if p.is_empty() {
                    return false;
                }
            }
            Some(p) if p == seg => {}
            _ => return false,
        }
    }
    path.next().is_none()
}

/// The platform's route that `method` and `path` (from the API's base)
/// call, if its route map names one: the most literal match. akua-local
/// serves these as the deployed gateway would route them to the platform.
pub fn platform_route(method: &str, path: &str) -> Option<&'static permission::PlatformRoute> {
    let segments: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    permission::platform()
        .routes
        .iter()
        .filter(|r| r.method == method || r.method == "ANY")
        .filter(|r| {
            let pattern: Vec<&str> = r.path[1..].split('/').collect();
            matches(&pattern, &segments)
        })
        .max_by_key(|r| r.path.split('/').filter(|s| !s.starts_with('{')).count())
}

/// The table, built on first use.
pub fn route_map() -> &'static RouteMap {
    static MAP: LazyLock<RouteMap> = LazyLock::new(RouteMap::build);
    &MAP
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(method: &str, template: Option<&str>, path: Option<&str>) -> Option<Needed> {
        route_map().lookup(&Target {
            method,
            template,
            path,
        })
    }

    #[test]
    fn the_service_s_routes_are_found_by_template() {
        assert_eq!(
            find("POST", Some("/v1/api_tokens"), None),
            Some(Needed::Permission("api_tokens:write"))
        );
        assert_eq!(
            find("GET", Some("/v1/api_tokens"), None),
            Some(Needed::Permission("api_tokens:read"))
        );
        assert_eq!(
            find("GET", Some("/v1/auth/whoami"), None),
            Some(Needed::Nothing)
        );
        assert_eq!(find("PUT", Some("/v1/api_tokens"), None), None);
        assert_eq!(find("GET", Some("/v1/openapi.json"), None), None, "public");
    }

    #[test]
    fn platform_routes_are_found_by_template_or_by_path() {
        let read = Some(Needed::Permission("deployments:read"));
        assert_eq!(find("GET", Some("/v1/deployments/{id}"), None), read);
        assert_eq!(
            find("GET", Some("/{proxy+}"), Some("/v1/deployments/d_1")),
            read
        );
        assert_eq!(
            find("GET", None, Some("/v1/deployments/d_1/logs/a/b")),
            read
        );
        assert_eq!(find("GET", None, Some("/v1/deployments/d_1/logs")), None);
        assert_eq!(
            find("DELETE", None, Some("/v1/deployments/d_1")),
            Some(Needed::Permission("deployments:write"))
        );
        assert_eq!(find("GET", None, Some("/v1/deployments//")), None);
        assert_eq!(find("GET", None, Some("/v1/clusters")), None);
        // The service's own routes match by path too.
        assert_eq!(
            find("POST", None, Some("/v1/api_tokens/tok_1/roll")),
            Some(Needed::Permission("api_tokens:write"))
        );
    }

    /// The platform's route map never names one of the service's own
    /// routes: the authorizer would not know whose permission applies.
    #[test]
    fn the_platform_s_routes_do_not_shadow_the_service_s() {
        for r in &permission::platform().routes {
            let shadows = ROUTES.iter().any(|own| {
                own.path == r.path && (r.method == "ANY" || own.method.as_str() == r.method)
            });
            assert!(
                !shadows,
                "{} {} is one of the service's routes",
                r.method, r.path
            );
        }
    }

    #[test]
    fn greedy_and_literal_segments() {
        assert!(matches(&["a", "{x+}"], &["a", "b", "c"]));
        assert!(!matches(&["a", "{x+}"], &["a"]));
        assert!(matches(&["a", "{x}"], &["a", "b"]));
        assert!(!matches(&["a", "{x}"], &["a", "b", "c"]));
        assert!(!matches(&["a", "{x}"], &["a", ""]));
    }
}
