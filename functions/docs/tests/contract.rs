//! The served OpenAPI document as a contract generated clients rely on:
//! unique dotted operation ids, no two types under one component name,
//! Akua's names and shapes for API tokens, every reference resolvable.

use std::collections::{BTreeMap, BTreeSet};

use akua_core::routes::{Function, ROUTES};
use serde_json::Value;
use utoipa::OpenApi;

mod support;

/// What the function serves: the committed document.
fn served() -> Value {
    serde_json::from_str(akua_docs::DOCUMENT).unwrap()
}

/// The committed document is the one the annotations generate today.
/// `AKUA_WRITE_OPENAPI=1 cargo test -p akua-docs --test contract` rewrites
/// it after a change to a route, a type or a description.
#[test]
fn the_committed_document_is_the_generated_one() {
    let generated = support::rendered();
    if std::env::var_os("AKUA_WRITE_OPENAPI").is_some() {
        std::fs::write(
            concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json"),
            &generated,
        )
        .unwrap();
        return;
    }
    assert!(
        akua_docs::DOCUMENT == generated,
        "functions/docs/openapi.json is stale: run \
         `AKUA_WRITE_OPENAPI=1 cargo test -p akua-docs --test contract` and commit it"
    );
}

/// Documented and declared are the same set, both ways: every declared
/// route is documented under its operation id, with the security scheme its
/// access declares (the bearer behind the authorizer, AWS Signature V4 for
/// `AWS_IAM`, none for a public route), by the function that serves it;
/// nothing else is documented.
#[test]
fn the_document_holds_exactly_the_declared_routes() {
    let parts = [
        (Function::Docs, akua_docs::ApiDoc::openapi()),
        (Function::Tokens, akua_tokens::ApiDoc::openapi()),
        (Function::Workspaces, akua_workspaces::ApiDoc::openapi()),
        (Function::Sessions, akua_sessions::ApiDoc::openapi()),
    ];
    let mut documented = BTreeSet::new();
    for (function, doc) in parts {
        let doc = serde_json::to_value(doc).unwrap();
        for (method, path, op) in operations(&doc) {
            let scheme = op["security"][0]
                .as_object()
                .and_then(|s| s.keys().next().cloned())
                .unwrap_or_else(|| "none".to_owned());
            documented.insert((
                method,
                path,
                function,
                scheme,
                op["operationId"].as_str().unwrap_or_default().to_owned(),
            ));
        }
    }
    let declared: BTreeSet<_> = ROUTES
        .iter()
        .map(|r| {
            (
                r.method.as_str().to_owned(),
                r.path.to_owned(),
                r.op.function(),
                match (r.behind_authorizer(), r.is_iam()) {
                    (true, _) => "bearer",
                    (false, true) => "sigv4",
                    (false, false) => "none",
                }
                .to_owned(),
                r.operation_id.to_owned(),
            )
        })
        .collect();
    assert_eq!(documented, declared);
}

/// Each operation of the document by its id.
fn by_operation_id(doc: &Value) -> BTreeMap<String, &Value> {
    operations(doc)
        .into_iter()
        .map(|(_, _, op)| {
            (
                op["operationId"].as_str().unwrap_or_default().to_owned(),
                op,
            )
        })
        .collect()
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((method.to_uppercase(), path.clone(), op));
        }
    }
    out
}

#[test]
fn operation_ids_are_unique_and_dotted() {
    let doc = served();
    let mut seen = BTreeMap::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        let dotted = id.split('.').all(|part| {
            part.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && part.chars().all(|c| c.is_ascii_alphanumeric())
        });
        assert!(dotted && id.contains('.'), "{id}: not `group.action`");
        if let Some(other) = seen.insert(id.to_owned(), format!("{method} {path}")) {
            panic!("{id} used by {other} and {method} {path}");
        }
    }
    assert_eq!(seen["apiTokens.create"], "POST /api_tokens");
    assert_eq!(seen["apiTokens.list"], "GET /api_tokens");
    assert_eq!(seen["apiTokens.revoke"], "DELETE /api_tokens/{id}");
}

/// Merging documents keeps one schema per name: two different types under
/// one name would silently document one route with the other's body.
#[test]
fn no_two_types_share_a_component_name() {
    let parts = [
        ("docs", akua_docs::ApiDoc::openapi()),
        ("tokens", akua_tokens::ApiDoc::openapi()),
        ("workspaces", akua_workspaces::ApiDoc::openapi()),
        ("sessions", akua_sessions::ApiDoc::openapi()),
    ];
    let mut by_name: BTreeMap<String, (&str, Value)> = BTreeMap::new();
    for (function, doc) in &parts {
        let doc = serde_json::to_value(doc).unwrap();
        for (name, schema) in doc["components"]["schemas"]
            .as_object()
            .into_iter()
            .flatten()
        {
            if let Some((other, earlier)) = by_name.get(name) {
                assert_eq!(
                    earlier, schema,
                    "{name}: {other} and {function} document different types under one name"
                );
            }
            by_name.insert(name.clone(), (function, schema.clone()));
        }
    }
}

#[test]
fn api_tokens_are_named_and_shaped_as_akua_s() {
    let doc = served();
    let schemas = &doc["components"]["schemas"];
    let required = |name: &str| -> BTreeSet<String> {
        schemas[name]["required"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} missing"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let keys = |name: &str| -> BTreeSet<String> {
        schemas[name]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    let nullable = |name: &str, key: &str| {
        let p = &schemas[name]["properties"][key];
        p["type"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t == "null"))
            || p["oneOf"]
                .as_array()
                .is_some_and(|o| o.iter().any(|s| s["type"] == "null"))
    };
    for name in ["ApiToken", "CreatedApiToken", "ApiTokenList"] {
        assert_eq!(required(name), keys(name), "{name}: every key required");
    }
    for key in ["last_used_at", "expires_at", "created_by"] {
        assert!(nullable("ApiToken", key), "ApiToken.{key} nullable");
    }
    assert!(nullable("ApiTokenList", "next_cursor"));
    assert!(schemas["CreateApiTokenRequest"].is_object());
    let list = &doc["paths"]["/api_tokens"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"]["$ref"];
    assert_eq!(list, "#/components/schemas/ApiTokenList");
    assert_eq!(
        schemas["ApiTokenList"]["properties"]["data"]["items"]["$ref"],
        "#/components/schemas/ApiToken"
    );
    for name in schemas.as_object().unwrap().keys() {
        assert!(!name.starts_with("Page"), "{name}: lists are named …List");
    }
}

#[test]
fn paths_are_relative_to_the_v1_server_and_every_reference_resolves() {
    let doc = served();
    assert_eq!(
        doc["servers"],
        serde_json::json!([{"url": "/v1", "description": "This deployment's API, relative to its base URL"}])
    );
    for (_, path, _) in operations(&doc) {
        assert!(!path.starts_with("/v1"), "{path}");
    }
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in all {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or(&r);
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} does not resolve"
        );
    }
}

/// What the server enforces is declared, and what it answers is documented
/// with the shared error schema: the checks Schemathesis relies on
/// (`.ci/contract.sh`), kept here so a new route cannot miss them.
#[test]
fn limits_and_error_answers_are_declared_on_every_route() {
    let doc = served();
    let error_body = "#/components/schemas/ErrorBody";
    for (method, path, op) in operations(&doc) {
        let responses = op["responses"].as_object().unwrap();
        let documents = |status: &str| {
            responses
                .get(status)
                .is_some_and(|r| r["content"]["application/json"]["schema"]["$ref"] == error_body)
        };
        // Behind the authorizer: a bearer it may refuse (401). An AWS
        // signature API Gateway refuses is a 403, or a 404 when absent.
        let protected = op["security"][0].get("bearer").is_some();
        if protected {
            assert!(documents("401"), "{method} {path}: 401 ErrorBody");
        }
        // An OAuth endpoint (introspection) answers its request's faults
        // in OAuth's error format, and has no field to be invalid.
        let speaks_oauth = responses.get("400").is_some_and(|r| {
            r["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/OAuthError"
        });
        if protected && op.get("requestBody").is_some() && !speaks_oauth {
            assert!(
                documents("400"),
                "{method} {path}: 400 ErrorBody for an unreadable body"
            );
            assert!(
                documents("422"),
                "{method} {path}: 422 ErrorBody for an invalid field"
            );
        }
        for param in op["parameters"].as_array().into_iter().flatten() {
            let schema = &param["schema"];
            match param["name"].as_str().unwrap() {
                "limit" => {
                    assert_eq!(schema["minimum"], 1, "{method} {path}: limit minimum");
                    assert_eq!(schema["maximum"], 100, "{method} {path}: limit maximum");
                    assert!(documents("422"), "{method} {path}: 422 for a bad limit");
                    assert!(documents("400"), "{method} {path}: 400 for a bad cursor");
                }
                "Akua-Context" => {
                    assert_eq!(schema["maxLength"], 53, "{method} {path}: Akua-Context");
                    assert!(
                        documents("403"),
                        "{method} {path}: 403 for a foreign Akua-Context"
                    );
                }
                _ => {}
            }
        }
    }
    let schemas = &doc["components"]["schemas"];
    for name in [
        "CreateApiTokenRequest",
        "CreateMultiTokenRequest",
        "CreateWorkspaceRequest",
    ] {
        let field = &schemas[name]["properties"]["name"];
        assert_eq!(field["minLength"], 1, "{name}.name");
        assert_eq!(field["maxLength"], 100, "{name}.name");
        assert!(field["pattern"].is_string(), "{name}.name");
    }
    assert_eq!(schemas["WorkspaceId"]["maxLength"], 53);
    for (path, body, fields) in [
        ("/auth/device/code", "DeviceCodeRequest", &["client_id"][..]),
        (
            "/auth/device/token",
            "DeviceTokenRequest",
            &["client_id", "device_code", "grant_type"][..],
        ),
    ] {
        let op = &doc["paths"][path]["post"];
        for status in ["400", "413"] {
            assert_eq!(
                op["responses"][status]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/OAuthError",
                "{path} {status}"
            );
        }
        let content = &op["requestBody"]["content"];
        for media in ["application/x-www-form-urlencoded", "application/json"] {
            assert_eq!(
                content[media]["schema"]["$ref"],
                format!("#/components/schemas/{body}"),
                "{path} {media}"
            );
        }
        let required: BTreeSet<&str> = schemas[body]["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(required, fields.iter().copied().collect(), "{body}");
    }
}

/// Every limit the document states in words is the constant the server
/// enforces: a changed limit fails here until its texts say the new one.
#[test]
fn documented_limits_state_their_constants() {
    use akua_core::Name;
    use akua_core::paging::{DEFAULT_PAGE, MAX_PAGE};
    use akua_core::tokens::MAX_TOKEN_LIFETIME_YEARS;
    let doc = served();
    let page = format!("1–{MAX_PAGE}, default {DEFAULT_PAGE}");
    let body = format!("{} KiB", akua_http::MAX_BODY_BYTES / 1024);
    let mut seen = (0, 0);
    for (method, path, op) in operations(&doc) {
        for param in op["parameters"].as_array().into_iter().flatten() {
            if param["name"] == "limit" {
                seen.0 += 1;
                assert_eq!(param["schema"]["maximum"], MAX_PAGE, "{method} {path}");
                let text = param["description"].as_str().unwrap_or_default();
                assert!(text.contains(&page), "{method} {path}: {text}");
            }
        }
        if let Some(too_large) = op["responses"].get("413") {
            seen.1 += 1;
            let text = too_large["description"].as_str().unwrap_or_default();
            // Leak reports have a limit of their own.
            let limit = if path == "/token_leaks" {
                format!("{} MiB", akua_tokens::MAX_LEAK_REPORT_BYTES / (1024 * 1024))
            } else {
                body.clone()
            };
            assert!(text.contains(&limit), "{method} {path}: {text}");
        }
    }
    assert!(seen.0 > 0 && seen.1 > 0, "no limits found: {seen:?}");
    let schemas = &doc["components"]["schemas"];
    let name = format!("1–{} characters", Name::MAX_CHARS);
    let years = format!("at most {MAX_TOKEN_LIFETIME_YEARS} years ahead");
    for schema in ["CreateApiTokenRequest", "CreateMultiTokenRequest"] {
        let fields = &schemas[schema]["properties"];
        assert_eq!(
            fields["name"]["maxLength"],
            Name::MAX_CHARS,
            "{schema}.name"
        );
        let text = fields["name"]["description"].as_str().unwrap_or_default();
        assert!(text.contains(&name), "{schema}.name: {text}");
        let text = fields["expires_at"]["description"]
            .as_str()
            .unwrap_or_default();
        assert!(text.contains(&years), "{schema}.expires_at: {text}");
    }
}

/// Sudo mode is part of the contract: each operation that needs a recent
/// sign-in (declared with its route, or asked by its use case)
/// says so in its `401`, so a client knows to sign in again and retry.
#[test]
fn operations_in_sudo_mode_document_reauthentication() {
    use akua_core::routes::{Op, SessionsOp, WorkspacesOp};
    use akua_core::sudo::Requires;
    let doc = served();
    let by_id = by_operation_id(&doc);
    for route in ROUTES {
        // Two ask from their use case: raising a role (the role is in the
        // body) and renewing a session's sign-in (the JWT must be fresh).
        let guarded = route.op.requires() != Requires::Nothing
            || route.op == Op::Workspaces(WorkspacesOp::ChangeRole)
            || route.op == Op::Sessions(SessionsOp::Reauthenticate);
        let says = by_id[route.operation_id]["responses"]["401"]["description"]
            .as_str()
            .is_some_and(|d| d.contains("reauthentication_required"));
        assert_eq!(
            says, guarded,
            "{}: a 401 `reauthentication_required` is documented exactly where sudo mode applies",
            route.operation_id
        );
    }
}

/// Each operation names in `x-akua-permission` exactly the permission its
/// route declares (none where it declares none), so a reader of the
/// document knows what a restricted token needs, and the document cannot
/// drift from what the authorizer enforces.
#[test]
fn each_operation_names_the_permission_its_route_declares() {
    let doc = served();
    let by_id = by_operation_id(&doc);
    for route in ROUTES {
        let op = by_id[route.operation_id];
        assert_eq!(
            op["x-akua-permission"].as_str(),
            route.permission().map(|p| p.as_str()),
            "{}",
            route.operation_id
        );
        if let Some(p) = route.permission() {
            let refusal = op["responses"]["403"]["description"]
                .as_str()
                .unwrap_or_default();
            assert!(
                refusal.contains("insufficient_permission") && refusal.contains(p.as_str()),
                "{}: {refusal}",
                route.operation_id
            );
        }
    }
}
