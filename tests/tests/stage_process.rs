//! `akua-local --stage prod` plays the execute-api URL: everything under
//! `/prod`, API Gateway's 403 outside it, and pages and links that stay
//! under the stage (docs/DESIGN.md, "Where it runs"). The browser walk (`.ci/run`) runs
//! the whole dashboard this way; this checks the shape over plain HTTP.

use akua_tests::Call;
use akua_tests::process::{Http, answer, mint_jwt, request, start_with, temp_data_dir};

#[tokio::test(flavor = "multi_thread")]
async fn everything_lives_under_the_stage_as_on_the_execute_api_domain() {
    let dir = temp_data_dir("akua-stage");
    let server = start_with(&dir, &[("AKUA_STAGE", "prod")]);
    let origin = server
        .base
        .strip_suffix("/prod")
        .expect("the banner prints the stage URL")
        .to_owned();
    let root = Http::to(&origin);
    let stage = Http::to(&server.base);

    // Outside the stage: API Gateway's own answer, not the service's.
    let whoami = Call::whoami();
    for base in [origin.clone(), format!("{origin}/prod-not")] {
        let sent = request(&root.client, &base, &whoami, None, None);
        let (status, body) = answer(sent.send().await.unwrap()).await;
        assert_eq!(status, 403, "{base}{}", whoami.path);
        assert_gateway_refusal(&body);
    }
    let (status, body) = root.anonymous().get("/dashboard").await;
    assert_eq!(status, 403, "/dashboard");
    assert_gateway_refusal(&body);
    // Under it: the service, in its envelope.
    let (status, body) = stage.anonymous().send(Call::whoami()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let jwt = mint_jwt(&dir, "usr_stage");
    let (status, whoami) = stage.as_token(&jwt).send(Call::whoami()).await;
    assert_eq!(status, 200, "{whoami}");

    // The page asks for everything under the stage.
    let page = stage
        .client
        .get(format!("{}/dashboard", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for wanted in [
        r#"<meta name="akua-base" content="/prod">"#,
        r#"href="/prod/dashboard/app.css""#,
        r#"src="/prod/dashboard/app.js""#,
        r#"href="/prod/dashboard/tokens""#,
    ] {
        assert!(page.contains(wanted), "{wanted} is not in the page");
    }
    assert!(
        !page.contains(r#""/dashboard"#),
        "a URL outside the stage: {page}"
    );
    for asset in ["/dashboard/app.js", "/dashboard/app.css"] {
        let (status, _) = stage.anonymous().get(asset).await;
        assert_eq!(status, 200, "{asset}");
    }

    // A device login sends people to the dashboard under the stage.
    let (status, code) = stage.anonymous().send(Call::device_code("cnap")).await;
    assert_eq!(status, 200);
    assert_eq!(
        code["verification_uri"].as_str(),
        Some(format!("{}/dashboard/device", server.base).as_str())
    );

    // The development identity provider is a server of its own, at the
    // root, and takes only the stage's callback.
    let (status, discovery) = root
        .anonymous()
        .get("/.well-known/openid-configuration")
        .await;
    assert_eq!(status, 200, "{discovery}");
}

/// API Gateway's own refusal of a path it has no route for: this body,
/// exactly (one key), not the service's envelope.
fn assert_gateway_refusal(body: &serde_json::Value) {
    let keys: Vec<&String> = body.as_object().expect("an object").keys().collect();
    assert_eq!(keys, ["message"], "{body}");
    assert_eq!(body["message"], "Missing Authentication Token");
}
