//! `/device`: the verification page of the device flow (`verification_uri`),
//! signed in as the development user. A person opens it from `cnap auth
//! login`, checks the code and approves or denies. Local only: in production
//! the approval step is `POST /v1/auth/device/approve` from the product's
//! own signed-in web app.

use akua_core::device;
use akua_core::principal::{Person, PersonCredential};
use akua_core::{Principal, UserId, clock};
use akua_store::DynamoStore;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::Html;
use serde::Deserialize;

#[derive(Clone)]
pub struct DevicePage {
    pub store: DynamoStore,
    pub user: UserId,
}

#[derive(Deserialize)]
pub struct Prefill {
    user_code: Option<String>,
}

#[derive(Deserialize)]
pub struct Answer {
    user_code: String,
    action: String,
}

/// Escapes text for HTML.
fn escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

fn page(body: &str) -> Html<String> {
    Html(format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Akua · Device login</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#1b1b1f}}
input{{font:1.5rem ui-monospace,monospace;letter-spacing:.2em;text-transform:uppercase;width:100%;padding:.5rem;box-sizing:border-box}}
button{{font-size:1rem;padding:.6rem 1.2rem;margin:1rem .5rem 0 0;cursor:pointer}}
.who{{color:#555}} .ok{{color:#116611}} .err{{color:#aa1111}}
</style></head><body><h1>Device login</h1>{body}</body></html>"#
    ))
}

pub async fn show(State(state): State<DevicePage>, Query(prefill): Query<Prefill>) -> Html<String> {
    let code = escape(prefill.user_code.as_deref().unwrap_or(""));
    page(&format!(
        r#"<p class="who">Signed in as <strong>{user}</strong> (local development user).</p>
<p>Check that this code matches the one your terminal shows:</p>
<form method="post" action="/device">
<label for="user_code">Code</label>
<input id="user_code" name="user_code" value="{code}" placeholder="XXXX-XXXX" autocomplete="off" autofocus required>
<button type="submit" name="action" value="approve" id="approve">Approve</button>
<button type="submit" name="action" value="deny" id="deny">Deny</button>
</form>"#,
        user = escape(state.user.as_str()),
    ))
}

pub async fn submit(
    State(state): State<DevicePage>,
    headers: axum::http::HeaderMap,
    Form(answer): Form<Answer>,
) -> Html<String> {
    let approve = answer.action == "approve";
    let principal = Principal::Person(Person {
        user_id: state.user.clone(),
        credential: PersonCredential::Jwt,
        scope: None,
        expires_at: None,
    });
    // Served on loopback only: the source is this machine.
    let user_agent = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let origin = akua_core::audit::Origin::new(Some("127.0.0.1"), user_agent);
    match device::answer(
        &state.store,
        &principal,
        &origin,
        &answer.user_code,
        approve,
        clock::now(),
    )
    .await
    {
        Ok(()) if approve => {
            page(r#"<p class="ok" id="result">Approved. You can return to your terminal.</p>"#)
        }
        Ok(()) => page(r#"<p class="err" id="result">Denied. The terminal's login will stop.</p>"#),
        Err(e) => page(&format!(
            r#"<p class="err" id="result">{}</p><p><a href="/device">Try again</a></p>"#,
            escape(&e.to_string())
        )),
    }
}
