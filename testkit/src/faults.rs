//! A deliberately failing DynamoDB endpoint: a loopback proxy in front of
//! the engine that passes requests through or, for chosen operations,
//! answers as a sick DynamoDB would (slow, throttling, failing, cancelling
//! transactions). The service reaches it through the real SDK, so its
//! timeouts, retries and error mapping are what gets tested.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;

/// What the proxy does to a matching request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward unchanged.
    Pass,
    /// Wait this long before forwarding (past the client's timeout).
    Delay(Duration),
    /// `ProvisionedThroughputExceededException` (retryable throttling).
    Throttle,
    /// HTTP 500 `InternalServerError`.
    ServerError,
    /// `TransactionCanceledException` with a failed condition.
    CancelTransaction,
    /// `ConditionalCheckFailedException`.
    ConditionFailed,
}

#[derive(Debug)]
struct Rule {
    /// Operation name (`GetItem`, `TransactWriteItems`…) or `None` for all.
    operation: Option<String>,
    fault: Fault,
}

#[derive(Clone)]
struct Shared {
    upstream: String,
    http: reqwest::Client,
    rule: Arc<Mutex<Rule>>,
}

/// The proxy; `endpoint` is what the service's SDK client should use.
pub struct FaultProxy {
    pub endpoint: String,
    rule: Arc<Mutex<Rule>>,
}

impl FaultProxy {
    pub async fn start(upstream: &str) -> FaultProxy {
        let rule = Arc::new(Mutex::new(Rule {
            operation: None,
            fault: Fault::Pass,
        }));
        let shared = Shared {
            upstream: upstream.to_owned(),
            http: reqwest::Client::new(),
            rule: rule.clone(),
        };
        let app = Router::new().fallback(handle).with_state(shared);
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FaultProxy { endpoint, rule }
    }

    /// Applies `fault` to `operation` (or every operation with `None`).
    pub fn set(&self, operation: Option<&str>, fault: Fault) {
        *self.rule.lock().unwrap() = Rule {
            operation: operation.map(str::to_owned),
            fault,
        };
    }

    pub fn heal(&self) {
        self.set(None, Fault::Pass);
    }
}

fn dynamodb_error(status: StatusCode, name: &str, extra: &str) -> Response {
    let body = format!(
        r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{name}","message":"injected fault"{extra}}}"#
    );
    (
        status,
        [("content-type", "application/x-amz-json-1.0")],
        body,
    )
        .into_response()
}

async fn handle(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let operation = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.rsplit('.').next())
        .unwrap_or("")
        .to_owned();
    let fault = {
        let rule = shared.rule.lock().unwrap();
        match &rule.operation {
            Some(op) if *op != operation => Fault::Pass,
            _ => rule.fault,
        }
    };
    match fault {
        Fault::Pass => {}
        Fault::Delay(d) => tokio::time::sleep(d).await,
        Fault::Throttle => {
            return dynamodb_error(
                StatusCode::BAD_REQUEST,
                "ProvisionedThroughputExceededException",
                "",
            );
        }
        Fault::ServerError => {
            return dynamodb_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError", "");
        }
        Fault::CancelTransaction => {
            return dynamodb_error(
                StatusCode::BAD_REQUEST,
                "TransactionCanceledException",
                r#","CancellationReasons":[{"Code":"ConditionalCheckFailed"},{"Code":"None"}]"#,
            );
        }
        Fault::ConditionFailed => {
            return dynamodb_error(
                StatusCode::BAD_REQUEST,
                "ConditionalCheckFailedException",
                "",
            );
        }
    }
    let mut request = shared.http.post(&shared.upstream).body(body);
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    match request.send().await {
        Ok(upstream) => {
            let status =
                StatusCode::from_u16(upstream.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let content_type = upstream
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/x-amz-json-1.0")
                .to_owned();
            let bytes = upstream.bytes().await.unwrap_or_default();
            (status, [("content-type", content_type)], bytes).into_response()
        }
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}
