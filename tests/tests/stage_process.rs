//! `akua-local --stage prod` plays the execute-api URL: everything under
//! `/prod`, API Gateway's 403 outside it, and pages and links that stay
//! under the stage (docs/DESIGN.md, "Where it runs"). The browser walk (`.ci/run`) runs
//! the whole dashboard this way; this checks the shape over plain HTTP.

use akua_tests::process::{Http, mint_jwt, start_with, temp_data_dir};
use serde_json::{Value, json};

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
    for path in ["/v1/auth/whoami", "/dashboard", "/prod-not/v1/auth/whoami"] {
        let (status, body) = root.anonymous().get(path).await;
        assert_eq!(
            (status, body),
            (403, json!({"message": "Missing Authentication Token"})),
            "{path}"
        );
    }
    // Under it: the service, in its envelope.
    let (status, body) = stage.anonymous().get("/v1/auth/whoami").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let jwt = mint_jwt(&dir, "usr_stage");
    let (status, whoami) = stage.as_token(&jwt).get("/v1/auth/whoami").await;
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
    let (status, code) = stage.form("/v1/auth/device/code", "client_id=cnap").await;
    assert_eq!(status, 200);
    let code: Value = serde_json::from_str(&code).unwrap();
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
