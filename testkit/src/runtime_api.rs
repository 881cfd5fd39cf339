//! A local Lambda Runtime API: enough of the documented protocol for a
//! custom runtime (`provided.al2023`) to start, fetch invocations and answer
//! them, on a loopback port.
//!
//! | method and path (under `/2018-06-01/runtime`) | here |
//! |---|---|
//! | `GET /invocation/next` | the next queued event, with the `Lambda-Runtime-*` headers; waits while none is queued |
//! | `POST /invocation/{id}/response` | records the response (202) |
//! | `POST /invocation/{id}/error` | records the error (202) |
//! | `POST /init/error` | records the init failure (202) |
//!
//! It records when the first `next` arrived: with the process's start time,
//! that is the cold start as Lambda bills it (init ends at the first `next`).
//!
//! The benchmarks start the release binaries under it; CI starts the
//! arm64 binaries `sam build` made, under `qemu-aarch64`
//! (`tests/src/bin/lambda-check.rs`).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

const PREFIX: &str = "/2018-06-01/runtime";
const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:akua";

/// How an invocation ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    Response {
        id: String,
        body: Value,
        at: Instant,
    },
    Error {
        id: String,
        error_type: String,
        at: Instant,
    },
    InitError(String),
}

struct Shared {
    queue: tokio::sync::Mutex<mpsc::UnboundedReceiver<(String, Value)>>,
    first_next: Mutex<Option<Instant>>,
    outcomes: mpsc::UnboundedSender<Outcome>,
}

/// A running emulator. Dropping it stops the server.
pub struct RuntimeApi {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    events: mpsc::UnboundedSender<(String, Value)>,
    outcomes: mpsc::UnboundedReceiver<Outcome>,
    next_id: u64,
    _shutdown: oneshot::Sender<()>,
}

impl RuntimeApi {
    pub async fn start() -> std::io::Result<RuntimeApi> {
        let (events, queue) = mpsc::unbounded_channel();
        let (outcome_tx, outcomes) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            queue: tokio::sync::Mutex::new(queue),
            first_next: Mutex::new(None),
            outcomes: outcome_tx,
        });
        let app = Router::new()
            .route(&format!("{PREFIX}/invocation/next"), get(next))
            .route(
                &format!("{PREFIX}/invocation/{{id}}/response"),
                post(response),
            )
            .route(&format!("{PREFIX}/invocation/{{id}}/error"), post(error))
            .route(&format!("{PREFIX}/init/error"), post(init_error))
            .with_state(shared.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(RuntimeApi {
            addr,
            shared,
            events,
            outcomes,
            next_id: 0,
            _shutdown: tx,
        })
    }

    /// Queues an invocation; returns its request id.
    pub fn invoke(&mut self, payload: Value) -> String {
        self.next_id += 1;
        let id = format!("invocation-{:08}", self.next_id);
        let _ = self.events.send((id.clone(), payload));
        id
    }

    /// When the first `next` request arrived, if it has.
    pub fn first_next(&self) -> Option<Instant> {
        *self.shared.first_next.lock().expect("lock")
    }

    /// The next outcome, or `None` after `timeout`.
    pub async fn outcome(&mut self, timeout: Duration) -> Option<Outcome> {
        tokio::time::timeout(timeout, self.outcomes.recv())
            .await
            .ok()
            .flatten()
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    shared
        .first_next
        .lock()
        .expect("lock")
        .get_or_insert_with(Instant::now);
    let Some((id, payload)) = shared.queue.lock().await.recv().await else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            HeaderMap::new(),
            Vec::new(),
        );
    };
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        + 10_000;
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    set("lambda-runtime-aws-request-id", id);
    set("lambda-runtime-deadline-ms", deadline.to_string());
    set("lambda-runtime-invoked-function-arn", FUNCTION_ARN.into());
    set(
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000;Sampled=0".into(),
    );
    set("content-type", "application/json".into());
    let body = serde_json::to_vec(&payload).unwrap_or_default();
    (StatusCode::OK, headers, body)
}

async fn response(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let _ = shared.outcomes.send(Outcome::Response {
        id,
        body,
        at: Instant::now(),
    });
    StatusCode::ACCEPTED
}

async fn error(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    let error_type = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| {
            v.get("errorType")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let _ = shared.outcomes.send(Outcome::Error {
        id,
        error_type,
        at: Instant::now(),
    });
    StatusCode::ACCEPTED
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    let _ = shared.outcomes.send(Outcome::InitError(
        String::from_utf8_lossy(&body).into_owned(),
    ));
    StatusCode::ACCEPTED
}
