//! The page as API Gateway serves it: from a REST proxy event shaped like
//! AWS's sample, on the execute-api domain (the stage in the path) and on a
//! custom domain mapped at its root (no stage in the path). Every URL the
//! page carries is under the base it was served from.

use akua_dashboard::{DashboardConfig, router};
use http_body_util::BodyExt;

const EVENT: &str = include_str!("fixtures/rest-proxy-dashboard-page.json");

async fn page(event: &str) -> String {
    let request = lambda_http::request::from_str(event).expect("a REST proxy event");
    let config = DashboardConfig {
        discovery_url: String::new(),
        client_id: String::new(),
    };
    let response = akua_http::dispatch(akua_http::finish(router(config)), request).await;
    assert_eq!(response.status(), 200);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    String::from_utf8(body.to_vec()).expect("utf-8")
}

/// Every absolute path in the page's attributes, but the base itself
/// (the `akua-base` meta tag's content).
fn urls(page: &str) -> Vec<String> {
    page.split(['"'])
        .filter(|s| s.starts_with('/') && s.contains("/dashboard"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn on_the_execute_api_domain_every_url_is_under_the_stage() {
    let page = page(EVENT).await;
    assert!(page.contains(r#"<meta name="akua-base" content="/prod">"#));
    let urls = urls(&page);
    assert!(urls.len() >= 7, "{urls:?}");
    for url in urls {
        assert!(url.starts_with("/prod/dashboard"), "{url}");
    }
}

#[tokio::test]
async fn on_a_custom_domain_at_its_root_every_url_is_at_the_root() {
    let event = EVENT
        .replace("\"/prod/dashboard/tokens\"", "\"/dashboard/tokens\"")
        .replace(
            "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com",
            "auth.example.com",
        );
    let page = page(&event).await;
    assert!(page.contains(r#"<meta name="akua-base" content="">"#));
    for url in urls(&page) {
        assert!(url.starts_with("/dashboard"), "{url}");
    }
}
