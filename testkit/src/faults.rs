//! A deliberately failing DynamoDB endpoint: a loopback proxy in front of
//! the engine that passes requests through or, for chosen operations,
//! answers as a sick DynamoDB would (slow, throttling, failing, cancelling
//! transactions). The service reaches it through the real SDK, so its
//! timeouts, retries and error mapping are what gets tested. It can also
//! record what passes ([`FaultProxy::recorder`]), as IAM would see it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::recorder::Recorder;

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

/// A request to park: the `at`-th one (1-based) counted since arming.
#[derive(Debug, Default)]
struct Gate {
    at: Option<usize>,
    seen: usize,
    parked: Option<oneshot::Sender<()>>,
    release: Option<oneshot::Receiver<()>>,
}

#[derive(Clone)]
struct Shared {
    upstream: String,
    http: reqwest::Client,
    rule: Arc<Mutex<Rule>>,
    gate: Arc<Mutex<Gate>>,
    recorder: Recorder,
}

/// The proxy; `endpoint` is what the service's SDK client should use.
pub struct FaultProxy {
    pub endpoint: String,
    rule: Arc<Mutex<Rule>>,
    gate: Arc<Mutex<Gate>>,
    recorder: Recorder,
}

/// A parked request, armed by [`FaultProxy::hold`]: it waits in the proxy,
/// not yet forwarded, until [`Held::release`], so a test can run another
/// operation to completion at exactly that point of this one.
pub struct Held {
    parked: oneshot::Receiver<()>,
    release: oneshot::Sender<()>,
}

impl Held {
    /// Waits until the request is parked. `false`: the proxy was disarmed
    /// first (the operation made fewer calls than the one to park).
    pub async fn parked(&mut self) -> bool {
        (&mut self.parked).await.is_ok()
    }

    /// Forwards the parked request (or lets a later one pass).
    pub fn release(self) {
        let _ = self.release.send(());
    }
}

impl FaultProxy {
    pub async fn start(upstream: &str) -> FaultProxy {
        let rule = Arc::new(Mutex::new(Rule {
            operation: None,
            fault: Fault::Pass,
        }));
        let gate = Arc::new(Mutex::new(Gate::default()));
        let recorder = Recorder::default();
        let shared = Shared {
            upstream: upstream.to_owned(),
            http: reqwest::Client::new(),
            rule: rule.clone(),
            gate: gate.clone(),
            recorder: recorder.clone(),
        };
        let app = Router::new().fallback(handle).with_state(shared);
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FaultProxy {
            endpoint,
            rule,
            gate,
            recorder,
        }
    }

    /// From now on, records every request the proxy forwards to the
    /// engine (a faulted one never reaches it): see [`Recorder`].
    pub fn recorder(&self) -> Recorder {
        self.recorder.start();
        self.recorder.clone()
    }

    /// Parks the `at`-th request (1-based) that reaches the proxy from now
    /// on, whatever its operation, until the returned [`Held`] is released.
    /// Requests before and after it pass unchanged.
    pub fn hold(&self, at: usize) -> Held {
        let (parked_tx, parked) = oneshot::channel();
        let (release, release_rx) = oneshot::channel();
        *self.gate.lock().unwrap() = Gate {
            at: Some(at),
            seen: 0,
            parked: Some(parked_tx),
            release: Some(release_rx),
        };
        Held { parked, release }
    }

    /// Stops counting requests; a hold that was never reached reports
    /// that it was not parked.
    pub fn disarm(&self) {
        *self.gate.lock().unwrap() = Gate::default();
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
    let parked = {
        let mut gate = shared.gate.lock().unwrap();
        gate.seen += 1;
        if gate.at == Some(gate.seen) {
            gate.parked.take().zip(gate.release.take())
        } else {
            None
        }
    };
    if let Some((parked, release)) = parked {
        let _ = parked.send(());
        let _ = release.await;
    }
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
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    shared.recorder.record(target, &body);
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
