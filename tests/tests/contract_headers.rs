//! Headers the API contract promises: `Cache-Control: no-store` on every
//! answer that carries a secret, `Allow` on every 405.

use akua_core::Role;
use akua_tests::Api;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use serde_json::json;

async fn send(
    api: &Api,
    method: Method,
    path: &str,
    bearer: Option<&str>,
    context: Option<&str>,
    body: Option<(&str, String)>,
) -> (StatusCode, HeaderMap) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(b) = bearer {
        request = request.header(header::AUTHORIZATION, format!("Bearer {b}"));
    }
    if let Some(c) = context {
        request = request.header("akua-context", c);
    }
    let body = match body {
        Some((content_type, text)) => {
            request = request.header(header::CONTENT_TYPE, content_type);
            Bytes::from(text)
        }
        None => Bytes::new(),
    };
    let response = api.gateway.handle(request.body(body).unwrap()).await;
    (response.status(), response.headers().clone())
}

#[tokio::test]
async fn answers_with_a_secret_are_never_cached() {
    let api = Api::start().await;
    api.add_member("ws_a", "usr_ada", Role::Owner).await;
    let jwt = api.jwt("usr_ada");
    let json_body = |v: serde_json::Value| Some(("application/json", v.to_string()));
    for (path, context, body) in [
        ("/v1/api_tokens", Some("ws_a"), json!({"name": "ci"})),
        (
            "/v1/me/api_tokens",
            None,
            json!({"name": "laptop", "workspace_ids": ["ws_a"]}),
        ),
    ] {
        let (status, headers) = send(
            &api,
            Method::POST,
            path,
            Some(&jwt),
            context,
            json_body(body),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{path}");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store", "{path}");
    }
    let (status, headers) = send(
        &api,
        Method::POST,
        "/v1/auth/device/code",
        None,
        None,
        Some(("application/x-www-form-urlencoded", "client_id=cnap".into())),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn a_405_lists_the_methods_the_route_has() {
    let api = Api::start().await;
    for (path, allowed) in [
        ("/v1/api_tokens", ["GET", "POST"].as_slice()),
        ("/v1/api_tokens/tok_1", ["DELETE"].as_slice()),
        ("/v1/auth/session", ["DELETE", "GET"].as_slice()),
    ] {
        let (status, headers) = send(&api, Method::PUT, path, None, None, None).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
        let mut allow: Vec<_> = headers[header::ALLOW]
            .to_str()
            .unwrap()
            .split(", ")
            .map(str::to_owned)
            .collect();
        allow.sort();
        assert_eq!(allow, allowed, "{path}");
    }
}

#[tokio::test]
async fn an_oversized_body_is_413_in_the_envelope() {
    let api = Api::start().await;
    api.add_member("ws_a", "usr_ada", Role::Owner).await;
    let r = api
        .as_user("usr_ada")
        .in_ws("ws_a")
        .post("/v1/api_tokens", json!({"name": "x".repeat(20_000)}))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{:?}", r.body);
    assert_eq!(r.code(), "payload_too_large");
}
