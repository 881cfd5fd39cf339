//! `template.yaml` deploys exactly what runs locally: the same routes, the
//! same public/protected split, the same table, and the authorizer settings
//! DESIGN §5 requires. If one side changes, this fails.

use std::collections::BTreeSet;

use akua_local::routes::routes;
use akua_store::table::{self, IndexProjection, KeyKind};
use yaml_serde::Value;

fn template() -> Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).unwrap();
    yaml_serde::from_str(&text).unwrap()
}

fn resources(t: &Value) -> &yaml_serde::Mapping {
    t["Resources"].as_mapping().unwrap()
}

fn s(v: &Value) -> String {
    v.as_str().map(str::to_owned).unwrap_or_default()
}

#[test]
fn routes_agree_with_the_local_route_table() {
    let t = template();
    let mut deployed = BTreeSet::new();
    for (name, resource) in resources(&t) {
        if s(&resource["Type"]) != "AWS::Serverless::Function" {
            continue;
        }
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for event in events.values() {
            if s(&event["Type"]) != "Api" {
                continue;
            }
            let p = &event["Properties"];
            let public = s(&p["Auth"]["Authorizer"]) == "NONE";
            // The dashboard's pages are not API routes: checked below.
            if s(&p["Path"]).starts_with("/dashboard") {
                assert!(public, "the dashboard signs in by itself");
                assert_eq!(s(name), "DashboardFunction");
                continue;
            }
            // The authorizer (the default), none, or AWS_IAM.
            let gate = match s(&p["Auth"]["Authorizer"]).as_str() {
                "" => "authorizer".to_owned(),
                other => other.to_owned(),
            };
            deployed.insert((s(&p["Method"]).to_uppercase(), s(&p["Path"]), s(name), gate));
        }
    }
    let local: BTreeSet<_> = declared_routes()
        .into_iter()
        .map(|(method, path, function, gate)| (method, path, function, gate.to_owned()))
        .collect();
    assert_eq!(deployed, local);
}

/// The route table as (method, path, function resource, gate): the
/// authorizer, `NONE` or `AWS_IAM`.
fn declared_routes() -> Vec<(String, String, String, &'static str)> {
    routes()
        .iter()
        .map(|r| {
            (
                r.method.to_string(),
                r.path.clone(),
                r.function.template_name().to_owned(),
                match (r.protected, r.iam) {
                    (true, _) => "authorizer",
                    (false, true) => "AWS_IAM",
                    (false, false) => "NONE",
                },
            )
        })
        .collect()
}

#[test]
fn the_table_is_the_one_shared_defines() {
    let t = template();
    let p = &resources(&t)["Table"]["Properties"];
    assert_eq!(s(&p["BillingMode"]), "PAY_PER_REQUEST");
    assert_eq!(
        s(&p["TimeToLiveSpecification"]["AttributeName"]),
        table::TTL
    );
    assert_eq!(p["TimeToLiveSpecification"]["Enabled"], Value::Bool(true));
    assert_eq!(
        p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        Value::Bool(true)
    );
    assert_eq!(p["SSESpecification"]["SSEEnabled"], Value::Bool(true));
    assert_eq!(
        s(&p["StreamSpecification"]["StreamViewType"]),
        table::STREAM_VIEW.as_str()
    );

    let kind = |k: KeyKind| if k == KeyKind::String { "S" } else { "N" };
    let mut expected_attrs =
        BTreeSet::from([(table::PK.to_owned(), "S"), (table::SK.to_owned(), "S")]);
    for index in table::INDEXES {
        expected_attrs.insert((index.hash.0.to_owned(), kind(index.hash.1)));
        expected_attrs.insert((index.range.0.to_owned(), kind(index.range.1)));
    }
    let attrs: BTreeSet<(String, &str)> = p["AttributeDefinitions"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| {
            (
                s(&a["AttributeName"]),
                if s(&a["AttributeType"]) == "S" {
                    "S"
                } else {
                    "N"
                },
            )
        })
        .collect();
    assert_eq!(attrs, expected_attrs);

    let keys = |schema: &Value| -> Vec<(String, String)> {
        schema
            .as_sequence()
            .unwrap()
            .iter()
            .map(|k| (s(&k["AttributeName"]), s(&k["KeyType"])))
            .collect()
    };
    assert_eq!(
        keys(&p["KeySchema"]),
        [
            (table::PK.into(), "HASH".into()),
            (table::SK.into(), "RANGE".into())
        ]
    );

    // The indexes every stack has, and the one an upgrading stack keeps
    // for one deploy (an `!If` on `KeepLegacyListIndex`, else nothing).
    let (gsis, conditional): (Vec<&Value>, Vec<&Value>) = p["GlobalSecondaryIndexes"]
        .as_sequence()
        .unwrap()
        .iter()
        .partition(|g| g.get("IndexName").is_some());
    assert_eq!(gsis.len(), table::INDEXES.len());
    let [Value::Tagged(legacy)] = conditional[..] else {
        panic!("one conditional index, the legacy one: {conditional:?}");
    };
    let branches = legacy.value.as_sequence().unwrap();
    assert_eq!(legacy.tag.to_string(), "!If");
    assert_eq!(s(&branches[0]), "KeepLegacyListIndex");
    assert_eq!(s(&branches[1]["IndexName"]), table::LEGACY_GSI1);
    assert_eq!(
        branches[2],
        yaml_serde::from_str::<Value>("!Ref AWS::NoValue").unwrap()
    );
    for index in table::INDEXES {
        let g = gsis
            .iter()
            .find(|g| s(&g["IndexName"]) == index.name)
            .expect(index.name);
        assert_eq!(
            keys(&g["KeySchema"]),
            [
                (index.hash.0.into(), "HASH".into()),
                (index.range.0.into(), "RANGE".into())
            ]
        );
        match index.projection {
            IndexProjection::KeysOnly => {
                assert_eq!(s(&g["Projection"]["ProjectionType"]), "KEYS_ONLY")
            }
            IndexProjection::Include(attrs) => {
                assert_eq!(s(&g["Projection"]["ProjectionType"]), "INCLUDE");
                let got: Vec<String> = g["Projection"]["NonKeyAttributes"]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .map(s)
                    .collect();
                assert_eq!(got, attrs);
            }
        }
    }
}

#[test]
fn the_authorizer_is_a_request_authorizer_without_caching() {
    let t = template();
    let api = &resources(&t)["Api"]["Properties"];
    let auth = &api["Auth"]["Authorizers"]["AkuaAuthorizer"];
    assert_eq!(s(&api["Auth"]["DefaultAuthorizer"]), "AkuaAuthorizer");
    assert_eq!(s(&auth["FunctionPayloadType"]), "REQUEST");
    // DESIGN §5: result caching off, or a revoked token keeps working.
    assert_eq!(
        auth["Identity"]["ReauthorizeEvery"],
        Value::Number(0.into())
    );
    assert_eq!(
        auth["Identity"]["Headers"][0],
        Value::String("Authorization".into())
    );

    // 401/403 bodies are the JSON error envelope; a 403's code and
    // message are the authorizer's (what akua-local renders too).
    let body = s(&api["GatewayResponses"]["UNAUTHORIZED"]["ResponseTemplates"]["application/json"]);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"]["code"], "unauthorized");
    assert_eq!(
        s(&api["GatewayResponses"]["ACCESS_DENIED"]["ResponseTemplates"]["application/json"]),
        akua_authorizer::ACCESS_DENIED_TEMPLATE
    );

    // Least privilege: the authorizer may only read and touch items.
    let policies = &resources(&t)["AuthorizerFunction"]["Properties"]["Policies"];
    let actions: BTreeSet<String> = policies[0]["Statement"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|st| st["Action"].as_sequence().unwrap().iter().map(s))
        .collect();
    assert_eq!(
        actions,
        BTreeSet::from([
            "dynamodb:GetItem".to_owned(),
            "dynamodb:UpdateItem".to_owned()
        ])
    );
}

/// What API Gateway puts for `$context.error.messageString`: the message as
/// a quoted JSON string (quotes and backslashes escaped).
fn render(template: &str, message: &str) -> String {
    template.replace(
        "$context.error.messageString",
        &serde_json::to_string(message).unwrap(),
    )
}

#[test]
fn every_gateway_response_is_the_json_envelope_with_its_status() {
    let t = template();
    let responses = resources(&t)["Api"]["Properties"]["GatewayResponses"]
        .as_mapping()
        .unwrap();
    let expected = [
        ("UNAUTHORIZED", Some("401"), "unauthorized"),
        ("AUTHORIZER_FAILURE", Some("503"), "service_unavailable"),
        (
            "AUTHORIZER_CONFIGURATION_ERROR",
            Some("503"),
            "service_unavailable",
        ),
        ("MISSING_AUTHENTICATION_TOKEN", Some("404"), "not_found"),
        ("REQUEST_TOO_LARGE", Some("413"), "payload_too_large"),
        ("THROTTLED", Some("429"), "rate_limited"),
        ("QUOTA_EXCEEDED", Some("429"), "rate_limited"),
        ("DEFAULT_4XX", None, "bad_request"),
        ("DEFAULT_5XX", None, "internal_error"),
    ];
    assert_eq!(
        responses.len(),
        expected.len() + 1,
        "every response is checked (ACCESS_DENIED below)"
    );
    // ACCESS_DENIED reads the Deny's context: every refusal the authorizer
    // makes renders as the envelope with its own code.
    let denied = s(&responses["ACCESS_DENIED"]["StatusCode"]);
    assert_eq!(denied, "403");
    for reason in [
        akua_core::DenyReason::InsufficientPermission("api_tokens:write"),
        akua_core::DenyReason::UnmappedRoute,
        akua_core::DenyReason::IpNotAllowed,
        akua_core::DenyReason::NotMember,
        akua_core::DenyReason::ContextMismatch,
    ] {
        let e = reason.api_error();
        let context = serde_json::json!({"code": e.code(), "message": e.to_string()});
        let body = akua_authorizer::render_access_denied(&context);
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["error"]["code"], e.code());
        assert_eq!(json["error"]["message"], e.to_string());
    }
    let messages = [
        "Unauthorized",
        "Request too large",
        "Too Many Requests",
        r#"Invalid request body: "x" is not \ valid"#,
        "",
    ];
    for (name, status, code) in expected {
        let response = &responses[name];
        assert_eq!(response["StatusCode"].as_str(), status, "{name}'s status");
        let template = s(&response["ResponseTemplates"]["application/json"]);
        for message in messages {
            let body = render(&template, message);
            let json: serde_json::Value = serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("{name} with {message:?} is not JSON ({e}): {body}"));
            assert_eq!(json["error"]["code"], code, "{name}");
            assert!(json["error"]["message"].is_string(), "{name}");
            if template.contains("messageString") {
                assert_eq!(json["error"]["message"], message, "{name}");
            }
        }
    }
}

/// `dynamodb:LeadingKeys` conditions name only partition-key prefixes the
/// store writes, so a renamed prefix cannot silently lock a function out
/// (or a typo let it reach more than it should).
#[test]
fn leading_keys_name_the_store_s_partition_prefixes() {
    let t = template();
    let mut seen = BTreeSet::new();
    for resource in resources(&t).values() {
        let Some(policies) = resource["Properties"]["Policies"].as_sequence() else {
            continue;
        };
        for policy in policies {
            for statement in policy["Statement"].as_sequence().into_iter().flatten() {
                // Index queries name the index's own partitions (`EXP#*`,
                // `USER#*#SESSIONS`): tests/tests/iam.rs holds those, and
                // every grant, to what the code does.
                if statement["Resource"]
                    != yaml_serde::from_str::<Value>("!GetAtt Table.Arn").unwrap()
                {
                    continue;
                }
                let keys =
                    &statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"];
                for key in keys.as_sequence().into_iter().flatten() {
                    let key = s(key);
                    let prefix = key
                        .strip_suffix('*')
                        .unwrap_or_else(|| panic!("{key}: not a prefix"));
                    assert!(
                        akua_store::keys::PARTITION_PREFIXES.contains(&prefix),
                        "{key} is not a partition prefix of the store"
                    );
                    seen.insert(prefix.to_owned());
                }
            }
        }
    }
    assert_eq!(
        seen.len(),
        akua_store::keys::PARTITION_PREFIXES.len(),
        "every prefix is granted somewhere: {seen:?}"
    );
}

/// The event pipe passes exactly the INSERTs of audit items, named as the
/// store writes them (`tests/events/test_pipe_filter.py` holds the pattern
/// to stream records of every item kind).
#[test]
fn the_event_pipe_filters_on_the_store_s_audit_items() {
    let t = template();
    let pipe = resources(&t)
        .values()
        .find(|r| s(&r["Type"]) == "AWS::Pipes::Pipe")
        .expect("the security events pipe");
    let filters = pipe["Properties"]["SourceParameters"]["FilterCriteria"]["Filters"]
        .as_sequence()
        .expect("filters");
    assert_eq!(filters.len(), 1);
    let pattern: serde_json::Value =
        serde_json::from_str(&s(&filters[0]["Pattern"])).expect("a JSON pattern");
    assert_eq!(
        pattern,
        serde_json::json!({
            "eventName": ["INSERT"],
            "dynamodb": {"NewImage": {
                "pk": {"S": [{"prefix": akua_store::keys::AUDIT_PREFIX}]},
                "kind": {"S": [akua_store::keys::kind::AUDIT_EVENT]},
            }},
        })
    );
}

const BEGIN_HTTP_ROUTES: &str =
    "  # BEGIN HTTP API routes (generated from the route table; do not edit)\n";
const END_HTTP_ROUTES: &str = "  # END HTTP API routes\n";

/// Every route the REST API serves, as (method, path, function, gate):
/// the route table, and the dashboard's pages from its function's events.
fn served_routes(t: &Value) -> Vec<(String, String, String, &'static str)> {
    let mut served = declared_routes();
    let events = resources(t)["DashboardFunction"]["Properties"]["Events"]
        .as_mapping()
        .unwrap();
    for event in events.values() {
        let p = &event["Properties"];
        served.push((
            s(&p["Method"]).to_uppercase(),
            s(&p["Path"]),
            "DashboardFunction".to_owned(),
            "NONE",
        ));
    }
    served
}

/// `HttpRoute` + the method and the path's words: `POST
/// /v1/api_tokens/{id}/roll` is `HttpRoutePostV1ApiTokensIdRoll`.
fn route_resource_name(method: &str, path: &str) -> String {
    let mut name = String::from("HttpRoute");
    let word = |w: &str| {
        let mut c = w.chars();
        c.next()
            .map(|f| f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase())
            .unwrap_or_default()
    };
    name.push_str(&word(method));
    for part in path.split(|c: char| !c.is_ascii_alphanumeric()) {
        name.push_str(&word(part));
    }
    name
}

/// The HTTP API's routes as `template.yaml` must hold them.
fn http_routes(t: &Value) -> String {
    let mut out = String::from(BEGIN_HTTP_ROUTES);
    for (method, path, function, gate) in served_routes(t) {
        let integration = format!("Http{}Integration", function.trim_end_matches("Function"));
        out.push_str(&format!(
            "  {}:\n    Type: AWS::ApiGatewayV2::Route\n    Condition: IsHttpApi\n",
            route_resource_name(&method, &path)
        ));
        let (gate, authorizer) = match gate {
            "authorizer" => ("CUSTOM", ", AuthorizerId: !Ref HttpApiAuthorizer"),
            other => (other, ""),
        };
        out.push_str(&format!(
            "    Properties: {{ ApiId: !Ref HttpApi, RouteKey: \"{method} {path}\", Target: !Sub \"integrations/${{{integration}}}\", AuthorizationType: {gate}{authorizer} }}\n"
        ));
    }
    out.push_str(END_HTTP_ROUTES);
    out
}

/// `ApiType=HTTP` serves exactly the REST API's routes, behind the same
/// authorizer or none or AWS_IAM as there: its routes are generated from
/// the route table, and this fails when they drift
/// (`AKUA_WRITE_TEMPLATE=1` rewrites them).
#[test]
fn the_http_api_routes_are_generated_from_the_route_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let start = text
        .find(BEGIN_HTTP_ROUTES)
        .expect("the generated block's start");
    let end = text
        .find(END_HTTP_ROUTES)
        .expect("the generated block's end")
        + END_HTTP_ROUTES.len();
    let expected = http_routes(&template());
    if std::env::var_os("AKUA_WRITE_TEMPLATE").is_some() {
        let written = format!("{}{expected}{}", &text[..start], &text[end..]);
        std::fs::write(path, written).unwrap();
        return;
    }
    assert_eq!(
        &text[start..end],
        expected,
        "template.yaml's HTTP API routes drifted: AKUA_WRITE_TEMPLATE=1 cargo test -p akua-local --test template"
    );
    // Each names an integration and a stage setting names routes that exist.
    let t = template();
    let res = resources(&t);
    for (name, resource) in res {
        if s(&resource["Type"]) == "AWS::ApiGatewayV2::Route" {
            let target = s(&resource["Properties"]["Target"]);
            assert!(target.starts_with("integrations/"), "{}", s(name));
        }
    }
    let keys: BTreeSet<String> = res
        .values()
        .filter(|r| s(&r["Type"]) == "AWS::ApiGatewayV2::Route")
        .map(|r| s(&r["Properties"]["RouteKey"]))
        .collect();
    for key in res["HttpApiStage"]["Properties"]["RouteSettings"]
        .as_mapping()
        .unwrap()
        .keys()
    {
        assert!(keys.contains(&s(key)), "{key:?}");
    }
    // The HTTP API's authorizer: payload 2.0, simple responses, no cache.
    let auth = &res["HttpApiAuthorizer"]["Properties"];
    assert_eq!(s(&auth["AuthorizerPayloadFormatVersion"]), "2.0");
    assert_eq!(auth["EnableSimpleResponses"], Value::Bool(true));
    assert_eq!(
        auth["AuthorizerResultTtlInSeconds"],
        Value::Number(0.into())
    );
}
