//! Every route of the API: which function serves it and whether the
//! authorizer runs in front of it. `template.yaml` declares the same table
//! (a test keeps them in agreement).

use axum::http::Method;

/// The HTTP functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    Tokens,
    Workspaces,
    Sessions,
    Docs,
}

impl Function {
    /// The function's logical id in `template.yaml`.
    pub fn template_name(self) -> &'static str {
        match self {
            Function::Tokens => "TokensFunction",
            Function::Workspaces => "WorkspacesFunction",
            Function::Sessions => "SessionsFunction",
            Function::Docs => "DocsFunction",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: Method,
    /// API Gateway resource path, `{name}` for a path parameter.
    pub path: &'static str,
    pub function: Function,
    /// `true`: the authorizer decides first.
    pub protected: bool,
}

const fn route(method: Method, path: &'static str, function: Function, protected: bool) -> Route {
    Route {
        method,
        path,
        function,
        protected,
    }
}

#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    route(Method::POST,   "/v1/api_tokens",                         Function::Tokens,     true),
    route(Method::GET,    "/v1/api_tokens",                         Function::Tokens,     true),
    route(Method::DELETE, "/v1/api_tokens/{id}",                    Function::Tokens,     true),
    route(Method::POST,   "/v1/workspaces",                         Function::Workspaces, true),
    route(Method::GET,    "/v1/workspaces",                         Function::Workspaces, true),
    route(Method::GET,    "/v1/workspaces/{id}/members",            Function::Workspaces, true),
    route(Method::POST,   "/v1/workspaces/{id}/members",            Function::Workspaces, true),
    route(Method::PATCH,  "/v1/workspaces/{id}/members/{user_id}",  Function::Workspaces, true),
    route(Method::DELETE, "/v1/workspaces/{id}/members/{user_id}",  Function::Workspaces, true),
    route(Method::POST,   "/v1/auth/device/code",                   Function::Sessions,   false),
    route(Method::POST,   "/v1/auth/device/token",                  Function::Sessions,   false),
    route(Method::POST,   "/v1/auth/device/approve",                Function::Sessions,   true),
    route(Method::POST,   "/v1/auth/device/deny",                   Function::Sessions,   true),
    route(Method::GET,    "/v1/auth/session",                       Function::Sessions,   true),
    route(Method::DELETE, "/v1/auth/session",                       Function::Sessions,   true),
    route(Method::POST,   "/v1/auth/session/refresh",               Function::Sessions,   true),
    route(Method::GET,    "/v1/auth/whoami",                        Function::Sessions,   true),
    route(Method::GET,    "/v1/openapi.json",                       Function::Docs,       false),
];

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
