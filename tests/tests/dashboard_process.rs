//! The dashboard and akua-local's development OpenID Connect provider, as a
//! browser reaches them over real HTTP (the browser walk itself is
//! `tests/browser/dashboard.mjs`): every answer carries the security
//! headers, and a sign-in code is redeemed only once, only with its PKCE
//! verifier, only for its redirect URI.

use akua_core::sessions::StartSessionRequest;
use akua_tests::Call;
use akua_tests::process::{request, start, temp_data_dir};
use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// `POST /dashboard/token`'s body: the page's code exchange (the
/// dashboard's own `CodeExchange`, which is private to it).
#[derive(Serialize)]
struct CodeExchange<'a> {
    code: &'a str,
    code_verifier: &'a str,
    redirect_uri: &'a str,
}

async fn exchange(
    http: &reqwest::Client,
    url: String,
    body: &CodeExchange<'_>,
) -> reqwest::Response {
    http.post(url)
        .header("content-type", "application/json")
        .body(serde_json::to_string(body).unwrap())
        .send()
        .await
        .unwrap()
}

async fn json_of(r: reqwest::Response) -> Value {
    serde_json::from_slice(&r.bytes().await.unwrap()).unwrap()
}

fn challenge(verifier: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_dashboard_answer_carries_the_security_headers() {
    let dir = temp_data_dir("akua-dash");
    let server = start(&dir);
    let http = client();
    for (path, status) in [
        ("/dashboard", 200),
        ("/dashboard/tokens", 200),
        ("/dashboard/device?user_code=ABCD-EFGH", 200),
        ("/dashboard/app.js", 200),
        ("/dashboard/app.css", 200),
        ("/dashboard/config.json", 200),
        ("/dashboard/nothing-here", 404),
    ] {
        let r = http
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{path}");
        let csp = r.headers()["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'self'")
                && csp.contains("script-src 'self'")
                && csp.contains("frame-ancestors 'none'")
                && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(r.headers()["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
    }
    // The page itself has no inline script or style to allow.
    let page = http
        .get(format!("{}/dashboard", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("<script>") && !page.contains("style="),
        "{page}"
    );
    // A code exchange with a bad body is a 400 in the envelope, not a call
    // to the provider.
    let r = exchange(
        &http,
        format!("{}/dashboard/token", server.base),
        &CodeExchange {
            code: "x",
            code_verifier: "y",
            redirect_uri: "https://evil.test/steal",
        },
    )
    .await;
    assert_eq!(r.status(), 400);
    let body = json_of(r).await;
    assert_eq!(body["error"]["code"], "bad_request");
    // The old approval page sends people to the dashboard's.
    let r = http
        .get(format!("{}/device?user_code=ABCD-EFGH", server.base))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection());
    assert_eq!(
        r.headers()["location"],
        "/dashboard/device?user_code=ABCD-EFGH"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sign_in_code_is_redeemed_once_with_its_verifier_for_a_dashboard_session() {
    let dir = temp_data_dir("akua-oidc");
    let server = start(&dir);
    let http = client();
    let base = &server.base;
    let config = json_of(
        http.get(format!("{base}/dashboard/config.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        config["authorization_endpoint"],
        format!("{base}/oauth/authorize")
    );
    let client_id = config["client_id"].as_str().unwrap();
    let verifier = "a-verifier-that-is-long-enough-for-pkce-0123456789";
    let redirect_uri = format!("{base}/dashboard/callback");
    let authorize = |user: &str, redirect: &str, challenge: &str| {
        let form = [
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect),
            ("state", "the-state"),
            ("nonce", "the-nonce"),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("user_id", user),
        ];
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        http.post(format!("{base}/oauth/authorize"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    // Only back to this server's dashboard, only with S256.
    let r = authorize(
        "usr_ada",
        "https://evil.test/dashboard/callback",
        &challenge(verifier),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    let r = authorize("usr_ada", &redirect_uri, "short").await.unwrap();
    assert_eq!(r.status(), 400);

    let r = authorize("usr_ada", &redirect_uri, &challenge(verifier))
        .await
        .unwrap();
    assert!(r.status().is_redirection());
    let location = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(&redirect_uri));
    let params: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(params["state"], "the-state");
    let code = params["code"].clone();

    let redeem = async |code: &str, verifier: &str| {
        let body = CodeExchange {
            code,
            code_verifier: verifier,
            redirect_uri: &redirect_uri,
        };
        exchange(&http, format!("{base}/dashboard/token"), &body).await
    };
    // The wrong verifier spends the code: a stolen code is useless.
    let r = redeem(&code, "not-the-verifier-not-the-verifier-not-the-verif").await;
    assert_eq!(r.status(), 400);
    let r = redeem(&code, verifier).await;
    assert_eq!(r.status(), 400, "a code is redeemed once");

    // A fresh code with the right verifier gives tokens.
    let r = authorize("usr_ada", &redirect_uri, &challenge(verifier))
        .await
        .unwrap();
    let location = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let code: String = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let tokens = json_of(redeem(&code, verifier).await).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(id_token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["nonce"], "the-nonce");
    assert_eq!(claims["aud"], client_id);
    assert_eq!(claims["sub"], "usr_ada");
    // The access token is a JWT the authorizer trusts: it starts a
    // dashboard session.
    let start_session = Call::start_session(&StartSessionRequest::default());
    let access_token = Some(tokens["access_token"].as_str().unwrap());
    let r = request(&http, base, &start_session, access_token, None)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let session = json_of(r).await;
    assert_eq!(session["client"], "dashboard");
}
