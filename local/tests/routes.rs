//! The route table is read from the functions' OpenAPI paths; this checks
//! the other direction: every documented route is one its function's router
//! actually serves (never the router's 404 or 405).

use akua_core::device::DeviceConfig;
use akua_local::routes::routes;
use akua_store::{DynamoStore, endpoint_config};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

#[tokio::test]
async fn every_documented_route_is_served_by_its_function() {
    // Nothing here reaches the store: protected routes stop at the missing
    // authorizer context, public ones at the missing body.
    let client = aws_sdk_dynamodb::Client::from_conf(endpoint_config("http://127.0.0.1:9").build());
    let store = DynamoStore::new(client, "unused");
    let device = DeviceConfig {
        verification_uri: "http://127.0.0.1:8787/device".into(),
        client_ids: vec!["cnap".into()],
    };
    // Nothing serves these keys: every leak report is refused, which is
    // still an answer of the route.
    let leaks = akua_edge::fetch::scanner_keys(akua_core::leaks::LeakConfig {
        keys_url: "http://127.0.0.1:9/keys".into(),
        scanner: "test".into(),
        freshness: akua_core::leaks::KEYS_FRESHNESS,
    })
    .unwrap();
    for route in routes() {
        let path = route
            .path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let request = Request::builder()
            .method(route.method.clone())
            .uri(&path)
            .body(Body::empty())
            .unwrap();
        let status = akua_local::routes::router(route.function, &store, &device, &leaks, None)
            .oneshot(request)
            .await
            .unwrap()
            .status();
        assert!(
            status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
            "{} {} answered {status}",
            route.method,
            route.path
        );
    }
}
