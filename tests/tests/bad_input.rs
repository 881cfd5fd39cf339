//! Bad input to every route is answered with the right 4xx and a readable
//! error body: never a 5xx, never a panic, never an empty body.

use akua_core::Role;
use akua_local::routes::routes;
use akua_tests::{Api, Reply};
use axum::body::Bytes;
use axum::http::{Method, Request};

fn is_device_endpoint(path: &str) -> bool {
    path == "/v1/auth/device/code" || path == "/v1/auth/device/token"
}

/// The error in the body: the API's envelope, or OAuth's for the device
/// endpoints (RFC 6749 §5.2).
fn assert_error_body(r: &Reply, what: &str) {
    let code = r.body["error"]["code"]
        .as_str()
        .or_else(|| r.body["error"].as_str());
    assert!(
        code.is_some_and(|c| !c.is_empty()),
        "{what}: no error code in {:?}",
        r.body
    );
    assert!(
        r.status.is_client_error(),
        "{what}: {} {:?}",
        r.status,
        r.body
    );
}

fn concrete(path: &str, id: &str) -> String {
    path.replace("{id}", id).replace("{user_id}", id)
}

async fn raw(
    api: &Api,
    method: &Method,
    path: &str,
    headers: &[(&str, &str)],
    body: &'static [u8],
) -> Reply {
    let mut b = Request::builder().method(method.clone()).uri(path);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    api.send(b.body(Bytes::from_static(body)).unwrap()).await
}

#[tokio::test]
async fn every_route_refuses_bad_input_cleanly() {
    let api = Api::start().await;
    api.add_member("ws_acme", "usr_owner", Role::Owner).await;
    let jwt = api.jwt("usr_owner");
    let bearer = format!("Bearer {jwt}");
    for route in routes() {
        let path = concrete(&route.path, "ws_acme");
        let what = format!("{} {}", route.method, route.path);
        if route.protected {
            for auth in [
                None,
                Some("Bearer garbage"),
                Some("Basic dXNlcg=="),
                Some("Bearer sk_akua_000000000000000000000000000000000"),
            ] {
                let headers: Vec<(&str, &str)> =
                    auth.map(|a| vec![("authorization", a)]).unwrap_or_default();
                let r = raw(&api, &route.method, &path, &headers, b"").await;
                assert_eq!(r.status.as_u16(), 401, "{what} with {auth:?}");
                assert_eq!(r.code(), "unauthorized", "{what}");
            }
            let r = raw(
                &api,
                &route.method,
                &path,
                &[
                    ("authorization", &bearer),
                    ("akua-context", "not a workspace"),
                ],
                b"",
            )
            .await;
            assert_eq!(r.status.as_u16(), 403, "{what}: malformed Akua-Context");
        }
        // Actions that take no body ignore one.
        let takes_body = !matches!(
            route.path.as_str(),
            "/v1/auth/sessions" | "/v1/auth/session/refresh"
        );
        if matches!(route.method, Method::POST | Method::PATCH) && takes_body {
            for (ct, body) in [
                ("application/json", &b"{not json"[..]),
                ("application/json", b"[1,2]"),
                ("text/plain", b"hello"),
                ("application/json", b"\xff\xfe"),
            ] {
                let r = raw(
                    &api,
                    &route.method,
                    &path,
                    &[
                        ("authorization", &bearer),
                        ("akua-context", "ws_acme"),
                        ("content-type", ct),
                    ],
                    body,
                )
                .await;
                assert_error_body(&r, &format!("{what} {ct} {body:?}"));
                if is_device_endpoint(&route.path) {
                    assert_eq!(r.body["error"], "invalid_request", "{what}");
                }
            }
        }
        if route.path.contains('{') {
            for id in ["x", "%00", "tok_%F0%9F%92%A9", &"a".repeat(300)] {
                let p = concrete(&route.path, id);
                let r = raw(
                    &api,
                    &route.method,
                    &p,
                    &[
                        ("authorization", &bearer),
                        ("content-type", "application/json"),
                    ],
                    b"{}",
                )
                .await;
                assert_error_body(&r, &format!("{what} id={id}"));
            }
        }
        if route.method == Method::GET
            && !route.path.contains("openapi")
            && !route.path.starts_with("/v1/auth/session")
            && !route.path.ends_with("whoami")
            // Not lists: they take no query.
            && route.path != "/v1/permissions"
            && route.path != "/v1/workspaces/{id}"
        {
            let r = raw(
                &api,
                &route.method,
                &format!("{path}?limit=abc&cursor=%%%"),
                &[("authorization", &bearer), ("akua-context", "ws_acme")],
                b"",
            )
            .await;
            assert_error_body(&r, &format!("{what} bad query"));
        }
    }
}
