//! Every route of the API: which function serves it and whether the
//! authorizer runs in front of it, read from each function's own OpenAPI
//! paths (a route is declared once, on its handler). A protected route is
//! one whose operation declares the bearer scheme. `template.yaml` must
//! declare the same table (a test keeps them in agreement).

use std::sync::OnceLock;

use std::sync::Arc;

use akua_core::device::DeviceConfig;
use akua_core::leaks::ScannerKeys;
use akua_store::DynamoStore;
use axum::Router;
use axum::http::Method;
use utoipa::OpenApi;

/// The HTTP functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    Tokens,
    Workspaces,
    Sessions,
    Docs,
}

impl Function {
    pub const ALL: [Function; 4] = [
        Function::Tokens,
        Function::Workspaces,
        Function::Sessions,
        Function::Docs,
    ];

    /// The function's logical id in `template.yaml`.
    pub fn template_name(self) -> &'static str {
        match self {
            Function::Tokens => "TokensFunction",
            Function::Workspaces => "WorkspacesFunction",
            Function::Sessions => "SessionsFunction",
            Function::Docs => "DocsFunction",
        }
    }

    /// The function's router, as its Lambda binary serves it.
    pub fn router(
        self,
        store: &DynamoStore,
        device: &DeviceConfig,
        leaks: &Arc<ScannerKeys>,
    ) -> Router {
        match self {
            Function::Tokens => akua_tokens::router(akua_tokens::TokensState {
                store: store.clone(),
                leaks: leaks.clone(),
            }),
            Function::Workspaces => akua_workspaces::router(store.clone()),
            Function::Sessions => akua_sessions::router(akua_sessions::AppState {
                store: store.clone(),
                device: device.clone(),
            }),
            Function::Docs => akua_docs::router(),
        }
    }

    /// The paths the function documents (and serves).
    fn document(self) -> utoipa::openapi::OpenApi {
        match self {
            Function::Tokens => akua_tokens::ApiDoc::openapi(),
            Function::Workspaces => akua_workspaces::ApiDoc::openapi(),
            Function::Sessions => akua_sessions::ApiDoc::openapi(),
            Function::Docs => akua_docs::ApiDoc::openapi(),
        }
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
}

const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

/// Every route, in the order the functions document them.
pub fn routes() -> &'static [Route] {
    static ROUTES: OnceLock<Vec<Route>> = OnceLock::new();
    ROUTES.get_or_init(|| Function::ALL.into_iter().flat_map(routes_of).collect())
}

fn routes_of(function: Function) -> Vec<Route> {
    let doc = serde_json::to_value(function.document()).unwrap_or_default();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            let op = &item[method.as_str().to_lowercase()];
            if op.is_object() {
                out.push(Route {
                    method,
                    path: path.clone(),
                    function,
                    protected: op
                        .get("security")
                        .and_then(|s| s.as_array())
                        .is_some_and(|s| !s.is_empty()),
                });
            }
        }
    }
    out
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
            .filter(|r| !r.protected)
            .map(|r| (r.method.as_str(), r.path.as_str()))
            .collect();
        assert_eq!(
            public,
            [
                ("POST", "/v1/token_leaks"),
                ("POST", "/v1/auth/device/code"),
                ("POST", "/v1/auth/device/token"),
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
