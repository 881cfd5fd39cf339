//! `akua-local` as a separate process, for tests that need what a person
//! gets: a real port, a data directory on disk, a restart, the logs.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::calls::Call;

/// The `akua-local` binary next to this test's own.
pub fn binary() -> PathBuf {
    static BUILD: std::sync::Once = std::sync::Once::new();
    // Make sure the binary matches the sources (a no-op under
    // `cargo test --workspace`, which has just built it).
    BUILD.call_once(|| {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-q", "-p", "akua-local"])
            .status()
            .expect("run cargo");
        assert!(status.success(), "building akua-local failed");
    });
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("akua-local")
}

pub struct Server {
    child: Child,
    pub base: String,
    /// Everything the process wrote to stderr (its logs), so far.
    pub logs: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the server on port 0 and reads the chosen address from its
/// start-up line.
pub fn start(data_dir: &Path) -> Server {
    start_with(data_dir, &[])
}

/// Starts with extra environment variables (e.g. `RUST_LOG`).
pub fn start_with(data_dir: &Path, env: &[(&str, &str)]) -> Server {
    let mut child = Command::new(binary())
        .args(["--port", "0", "--data-dir"])
        .arg(data_dir)
        .env_remove("AKUA_JWT_ISSUER")
        .env_remove("AKUA_JWT_AUDIENCE")
        .env_remove("AKUA_JWKS_URL")
        .envs(env.iter().copied())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let logs = Arc::new(Mutex::new(String::new()));
    let base = loop {
        let line = lines
            .next()
            .expect("akua-local exited before serving")
            .unwrap();
        logs.lock().unwrap().push_str(&line);
        logs.lock().unwrap().push('\n');
        if let Some(rest) = line.split("serving the Akua API on ").nth(1) {
            break rest.split("/v1").next().unwrap().to_owned();
        }
    };
    // Keep reading stderr so the process never blocks on a full pipe.
    let sink = logs.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let mut logs = sink.lock().unwrap();
            logs.push_str(&line);
            logs.push('\n');
        }
    });
    Server { child, base, logs }
}

/// A fresh data directory under the system's temporary one.
pub fn temp_data_dir(prefix: &str) -> PathBuf {
    std::env::temp_dir().join(format!("{prefix}-{}", akua_core::base62::random(8)))
}

pub fn mint_jwt(data_dir: &Path, sub: &str) -> String {
    let out = Command::new(binary())
        .args(["mint-jwt", "--sub", sub, "--data-dir"])
        .arg(data_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// `call` as a request to the server at `base` (its URL: under
/// `--stage`, the stage's), with an optional bearer token and
/// `Akua-Context`; the caller sends it, on whichever client it keeps
/// (e.g. one that follows no redirects).
pub fn request(
    client: &reqwest::Client,
    base: &str,
    call: &Call,
    token: Option<&str>,
    context: Option<&str>,
) -> reqwest::RequestBuilder {
    let mut req = client.request(call.method.clone(), format!("{base}{}", call.path));
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(c) = context {
        req = req.header("akua-context", c);
    }
    if let Some((content_type, bytes)) = call.body.encoded() {
        req = req.header("content-type", content_type).body(bytes);
    }
    for (name, value) in &call.headers {
        req = req.header(name.as_str(), value.as_str());
    }
    req
}

/// The status and the JSON body (`Null` when not JSON) of `response`.
pub async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub struct Http {
    pub client: reqwest::Client,
    pub base: String,
}

impl Http {
    /// A client of the server at `base`, with a 10 s timeout per request.
    pub fn to(base: &str) -> Http {
        Http {
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .expect("HTTP client"),
            base: base.to_owned(),
        }
    }

    /// A caller without credentials.
    pub fn anonymous(&self) -> HttpCaller<'_> {
        HttpCaller {
            http: self,
            token: None,
            context: None,
        }
    }

    /// A caller presenting `token` (an API token, a session or a JWT from
    /// [`mint_jwt`]) as `Authorization: Bearer …`.
    pub fn as_token(&self, token: &str) -> HttpCaller<'_> {
        HttpCaller {
            token: Some(token.to_owned()),
            ..self.anonymous()
        }
    }

    /// Sends `call` (see [`Call`]) with an optional bearer token and
    /// `Akua-Context`; returns the status and the JSON body (`Null` when
    /// not JSON). The long form of [`HttpCaller::send`].
    pub async fn send(
        &self,
        call: &Call,
        token: Option<&str>,
        context: Option<&str>,
    ) -> (u16, Value) {
        answer(
            request(&self.client, &self.base, call, token, context)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// A request with an optional bearer token, `Akua-Context` and JSON body;
    /// returns the status and the JSON body (`Null` when not JSON). The long
    /// form of an [`HttpCaller`]'s requests.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        context: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if let Some(c) = context {
            req = req.header("akua-context", c);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn form(&self, path: &str, body: &str) -> (u16, String) {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }
}

/// Who sends a request to the process and in which workspace; the same
/// shape as the in-process [`crate::Caller`], answering `(status, body)`.
#[derive(Clone)]
pub struct HttpCaller<'a> {
    http: &'a Http,
    token: Option<String>,
    context: Option<String>,
}

impl<'a> HttpCaller<'a> {
    /// The same caller naming `workspace` in `Akua-Context`.
    pub fn in_ws(&self, workspace: &str) -> HttpCaller<'a> {
        HttpCaller {
            context: Some(workspace.to_owned()),
            ..self.clone()
        }
    }

    /// Sends `call` (see [`Call`]) with this caller's credential and
    /// workspace.
    pub fn send(&self, call: Call) -> impl Future<Output = (u16, Value)> + use<'a> {
        let http = self.http;
        let token = self.token.clone();
        let context = self.context.clone();
        async move { http.send(&call, token.as_deref(), context.as_deref()).await }
    }

    pub fn get(&self, path: &str) -> impl Future<Output = (u16, Value)> + use<'a> {
        self.request("GET", path, None)
    }

    /// A POST with a JSON body.
    pub fn post(&self, path: &str, body: Value) -> impl Future<Output = (u16, Value)> + use<'a> {
        self.request("POST", path, Some(body))
    }

    /// A POST without a body.
    pub fn post_empty(&self, path: &str) -> impl Future<Output = (u16, Value)> + use<'a> {
        self.request("POST", path, None)
    }

    pub fn patch(&self, path: &str, body: Value) -> impl Future<Output = (u16, Value)> + use<'a> {
        self.request("PATCH", path, Some(body))
    }

    pub fn delete(&self, path: &str) -> impl Future<Output = (u16, Value)> + use<'a> {
        self.request("DELETE", path, None)
    }

    /// Any method, with or without a JSON body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> impl Future<Output = (u16, Value)> + use<'a> {
        let http = self.http;
        let token = self.token.clone();
        let context = self.context.clone();
        let (method, path) = (method.to_owned(), path.to_owned());
        async move {
            http.call(&method, &path, token.as_deref(), context.as_deref(), body)
                .await
        }
    }
}

/// Whether a credential is presented, never the credential.
impl std::fmt::Debug for HttpCaller<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpCaller")
            .field("base", &self.http.base)
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .field("context", &self.context)
            .finish()
    }
}
