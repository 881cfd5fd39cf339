//! Every route of the API, as the local gateway routes it: the one route
//! declaration ([`akua_core::routes::ROUTES`]) with the method and path in
//! the types the gateway works with, and each function's router.
//! `template.yaml` must declare the same table (a test keeps them in
//! agreement).

use std::sync::{Arc, OnceLock};

use akua_core::device::DeviceConfig;
use akua_core::jwt::JwtVerifier;
use akua_core::leaks::ScannerKeys;
use akua_core::routes::ROUTES;
use akua_store::DynamoStore;
use axum::Router;
use axum::http::Method;

pub use akua_core::routes::Function;

/// The function's router, as its Lambda binary serves it.
pub fn router(
    function: Function,
    store: &DynamoStore,
    device: &DeviceConfig,
    leaks: &Arc<ScannerKeys>,
    id_tokens: Option<&Arc<JwtVerifier>>,
) -> Router {
    // Checked at start-up by the server, like the sessions' settings.
    let sudo = akua_edge::settings::sudo_window().unwrap_or_default();
    match function {
        Function::Tokens => akua_tokens::router(akua_tokens::TokensState {
            store: store.clone(),
            leaks: leaks.clone(),
            sudo,
        }),
        Function::Workspaces => akua_workspaces::router(akua_workspaces::WorkspacesState {
            store: store.clone(),
            sudo,
        }),
        Function::Sessions => akua_sessions::router(akua_sessions::AppState {
            store: store.clone(),
            // Served as configured; the local gateway, which verifies no
            // AWS signature, never lets a call through to it.
            platform_introspection: akua_edge::settings::platform_introspection()
                .unwrap_or_default(),
            device: device.clone(),
            // Checked at start-up by the server; a bad value here is the
            // default's.
            sessions: akua_edge::settings::session_settings().unwrap_or_default(),
            sudo,
            id_tokens: id_tokens.cloned(),
        }),
        Function::Docs => akua_docs::router(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: Method,
    /// API Gateway resource path, `{name}` for a path parameter.
    pub path: String,
    pub function: Function,
    /// `true`: the authorizer decides first.
    pub protected: bool,
    /// `true`: API Gateway checks an AWS signature instead (`AWS_IAM`).
    pub iam: bool,
}

/// Every route, in the order they are declared.
pub fn routes() -> &'static [Route] {
    static ROUTE_TABLE: OnceLock<Vec<Route>> = OnceLock::new();
    ROUTE_TABLE.get_or_init(|| {
        ROUTES
            .iter()
            .map(|r| Route {
                method: Method::from_bytes(r.method.as_str().as_bytes())
                    .expect("a declared method is an HTTP method"),
                path: r.path.to_owned(),
                function: r.op.function(),
                protected: r.behind_authorizer(),
                iam: r.is_iam(),
            })
            .collect()
    })
}

/// Matches a concrete path against a resource template, returning the path
/// parameters.
pub fn match_path(template: &str, path: &str) -> Option<Vec<(String, String)>> {
    let mut params = Vec::new();
    let mut t = template.trim_end_matches('/').split('/');
    let mut p = path.trim_end_matches('/').split('/');
    loop {
        match (t.next(), p.next()) {
            (None, None) => return Some(params),
            (Some(ts), Some(ps)) => {
                if let Some(name) = ts.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
                    if ps.is_empty() {
                        return None;
                    }
                    params.push((name.to_owned(), ps.to_owned()));
                } else if ts != ps {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_documents_routes_and_public_ones_are_few() {
        for f in Function::ALL {
            assert!(routes().iter().any(|r| r.function == f), "{f:?}");
        }
        let public: Vec<_> = routes()
            .iter()
            .filter(|r| !r.protected && !r.iam)
            .map(|r| (r.method.as_str(), r.path.as_str()))
            .collect();
        assert_eq!(
            public,
            [
                ("POST", "/v1/token_leaks"),
                ("POST", "/v1/auth/device/code"),
                ("POST", "/v1/auth/device/token"),
                ("POST", "/v1/oauth/revoke"),
                ("GET", "/v1/openapi.json"),
            ]
        );
    }

    #[test]
    fn paths_match_their_templates_only() {
        assert_eq!(match_path("/v1/api_tokens", "/v1/api_tokens"), Some(vec![]));
        assert_eq!(
            match_path("/v1/api_tokens/{id}", "/v1/api_tokens/tok_1"),
            Some(vec![("id".into(), "tok_1".into())])
        );
        assert_eq!(match_path("/v1/api_tokens/{id}", "/v1/api_tokens/"), None);
        assert_eq!(
            match_path("/v1/api_tokens/{id}", "/v1/api_tokens/a/b"),
            None
        );
        assert_eq!(match_path("/v1/api_tokens", "/v1/other"), None);
    }
}
