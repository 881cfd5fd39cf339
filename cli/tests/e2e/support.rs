//! The real parts, wired for tests: the whole API from `akua-local` on a
//! random loopback port with its own data directory, the `cnap` binary run
//! as a child process with a temporary `HOME`, and a plain HTTP client that
//! plays the browser and the workspace admin.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use akua_local::dev_issuer::DevIssuer;
use akua_local::server::{self, Options};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, Command};

/// The user the development JWT (and so every approval) speaks for.
pub const DEV_USER: &str = "usr_dev";
/// Longest any single `cnap` run may take in a test before it fails.
const RUN_LIMIT: Duration = Duration::from_secs(60);

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// A running API.
pub struct Api {
    /// `http://127.0.0.1:PORT/prod/v1`: every `cnap` test runs against the
    /// deployed URL shape, the stage in the path (`akua-local --stage`).
    pub base: String,
    api_type: akua_local::gateway::ApiType,
    data_dir: TempDir,
    http: reqwest::Client,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Api {
    /// akua-local as deployed: a REST API under `/prod`, or with
    /// `AKUA_TEST_API_TYPE=http` an HTTP API at its `$default` stage.
    pub async fn start() -> Api {
        let api_type = match std::env::var("AKUA_TEST_API_TYPE").as_deref() {
            Ok("http") => akua_local::gateway::ApiType::Http,
            _ => akua_local::gateway::ApiType::Rest,
        };
        Self::start_as(api_type).await
    }

    /// akua-local playing `api_type`, whatever the environment says.
    pub async fn start_as(api_type: akua_local::gateway::ApiType) -> Api {
        let stage = match api_type {
            akua_local::gateway::ApiType::Http => None,
            akua_local::gateway::ApiType::Rest => Some("prod"),
        };
        let data_dir = tempfile::tempdir().expect("data dir");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let running = server::start(
            Options {
                bind: [127, 0, 0, 1].into(),
                port: 0,
                data_dir: data_dir.path().to_owned(),
                dynamodb_endpoint: None,
                table: "akua".into(),
                dev_user: DEV_USER.into(),
                stage: akua_local::gateway::Stage::parse(stage).expect("a stage"),
                api_type,
                events: None,
            },
            async {
                let _ = rx.await;
            },
        )
        .await
        .expect("akua-local starts");
        Api {
            base: format!("{}/v1", running.base_url),
            api_type,
            data_dir,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("http client"),
            _shutdown: tx,
        }
    }

    /// A development JWT for [`DEV_USER`], which the server trusts.
    pub fn jwt(&self) -> String {
        DevIssuer::open(self.data_dir.path())
            .expect("dev issuer")
            .mint(DEV_USER, now(), 3600)
            .expect("mint")
    }

    /// A development JWT for [`DEV_USER`] whose sign-in was `ago` seconds
    /// back: older than the sudo window, it cannot do what needs a recent
    /// sign-in.
    pub fn jwt_signed_in_ago(&self, ago: i64) -> String {
        DevIssuer::open(self.data_dir.path())
            .expect("dev issuer")
            .mint_signed_in(DEV_USER, now() - ago, now(), 3600)
            .expect("mint")
    }

    /// The status a refused credential (revoked, expired, unknown) gets:
    /// a REST API's 401, an HTTP API's bare 403.
    pub fn refused(&self) -> u16 {
        match self.api_type {
            akua_local::gateway::ApiType::Rest => 401,
            akua_local::gateway::ApiType::Http => 403,
        }
    }

    /// How cnap reports a refused credential: its code and HTTP status.
    pub fn refused_report(&self) -> [&'static str; 2] {
        match self.api_type {
            akua_local::gateway::ApiType::Rest => ["unauthorized", "HTTP 401"],
            akua_local::gateway::ApiType::Http => ["forbidden", "HTTP 403"],
        }
    }

    /// One API call: status and JSON body (`Null` when empty).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        context: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(ws) = context {
            request = request.header("Akua-Context", ws);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("API call");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, body)
    }

    /// `GET /auth/whoami` with `token`: 200 while it works, 401 once revoked.
    pub async fn whoami_status(&self, token: &str) -> u16 {
        self.call(reqwest::Method::GET, "/auth/whoami", token, None, None)
            .await
            .0
    }

    /// Approves (or denies) a user code as the browser would, with the JWT.
    pub async fn answer(&self, user_code: &str, approve: bool) {
        let path = if approve {
            "/auth/device/approve"
        } else {
            "/auth/device/deny"
        };
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                path,
                &self.jwt(),
                None,
                Some(json!({ "user_code": user_code })),
            )
            .await;
        assert_eq!(status, 200, "{path}: {body}");
    }

    /// A workspace owned by [`DEV_USER`], created with the JWT.
    pub async fn workspace(&self, name: &str) -> String {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/workspaces",
                &self.jwt(),
                None,
                Some(json!({ "name": name })),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().expect("id").to_owned()
    }

    /// An API token of `workspace`: (id, secret).
    pub async fn api_token(&self, workspace: &str, name: &str) -> (String, String) {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/api_tokens",
                &self.jwt(),
                Some(workspace),
                Some(json!({ "name": name })),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        (
            body["id"].as_str().expect("id").to_owned(),
            body["token"].as_str().expect("token").to_owned(),
        )
    }

    pub async fn revoke(&self, workspace: &str, id: &str) {
        let (status, body) = self
            .call(
                reqwest::Method::DELETE,
                &format!("/api_tokens/{id}"),
                &self.jwt(),
                Some(workspace),
                None,
            )
            .await;
        assert_eq!(status, 204, "{body}");
    }
}

/// What a finished `cnap` run left behind.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub fn expect(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit code\n{self:#?}");
        self
    }

    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n{self:#?}"
        );
        self
    }

    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}\n{self:#?}"
        );
        self
    }

    /// Asserts `secret` appears nowhere in the output.
    #[track_caller]
    pub fn never_shows(&self, secret: &str) -> &Self {
        assert!(
            !self.stdout.contains(secret) && !self.stderr.contains(secret),
            "a secret was printed\n{self:#?}"
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{self:#?}"))
    }
}

/// A user's machine: a temporary `HOME` and the API URL `cnap` is given.
pub struct Home {
    dir: TempDir,
    api_url: String,
}

/// Variables a developer's shell might set that would change what `cnap`
/// does; every run starts without them.
const AMBIENT: &[&str] = &[
    "AKUA_API_TOKEN",
    "AKUA_API_URL",
    "CNAP_API_TOKEN",
    "CNAP_API_URL",
    "AKUA_WORKSPACE",
    "CNAP_WORKSPACE",
    "CNAP_TIMEOUT",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "BROWSER",
];

impl Home {
    pub fn new(api_url: &str) -> Home {
        Home {
            dir: tempfile::tempdir().expect("home"),
            api_url: api_url.to_owned(),
        }
    }

    pub fn api_url(&self) -> &str {
        &self.api_url
    }

    pub fn cnap_dir(&self) -> PathBuf {
        self.dir.path().join(".cnap")
    }

    pub fn config_path(&self) -> PathBuf {
        self.cnap_dir().join("config.yaml")
    }

    /// The config file as YAML (`Null` when there is none).
    pub fn config(&self) -> yaml_serde::Value {
        match std::fs::read_to_string(self.config_path()) {
            Ok(text) => yaml_serde::from_str(&text).expect("config is YAML"),
            Err(_) => yaml_serde::Value::Null,
        }
    }

    /// What the config keeps for this home's API URL (its credential,
    /// its active workspace); `Null` when nothing.
    pub fn host_config(&self) -> yaml_serde::Value {
        self.config()
            .get("hosts")
            .and_then(|hosts| hosts.get(self.api_url.as_str()))
            .cloned()
            .unwrap_or(yaml_serde::Value::Null)
    }

    pub fn stored_token(&self) -> Option<String> {
        self.host_config()
            .get("token")
            .and_then(|t| t.as_str())
            .map(str::to_owned)
    }

    /// Writes the config as `cnap` keeps it: owner-only.
    pub fn write_config(&self, text: &str) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(self.cnap_dir()).expect("mkdir");
        std::fs::write(self.config_path(), text).expect("write config");
        std::fs::set_permissions(self.config_path(), std::fs::Permissions::from_mode(0o600))
            .expect("chmod config");
    }

    /// `cnap ARGS` without `--api-url`, in a clean environment.
    pub fn bare(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cnap"));
        command
            .args(args)
            .env("HOME", self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for name in AMBIENT {
            command.env_remove(name);
        }
        // The keychain of whoever runs the tests stays untouched; the
        // keychain tests turn it back on, with a session bus of their own.
        command.env("CNAP_KEYCHAIN", "off");
        command
    }

    /// `cnap --api-url URL ARGS`.
    pub fn cnap(&self, args: &[&str]) -> Command {
        let mut command = self.bare(&["--api-url", &self.api_url]);
        command.args(args);
        command
    }

    /// Runs `cnap --api-url URL ARGS` to the end.
    pub async fn run(&self, args: &[&str]) -> Out {
        finish(self.cnap(args)).await
    }

    /// Runs `cnap --api-url URL ARGS` as at a 200-column terminal: aligned
    /// tables under a header, relative times.
    pub async fn run_tty(&self, args: &[&str]) -> Out {
        let mut command = self.cnap(args);
        command.env("CNAP_FORCE_TTY", "200");
        finish(command).await
    }

    /// Runs `cnap --api-url URL ARGS` with `input` on stdin.
    pub async fn run_with_stdin(&self, args: &[&str], input: &str) -> Out {
        let mut command = self.cnap(args);
        command.stdin(Stdio::piped());
        let mut child = command.spawn().expect("spawn cnap");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input.as_bytes()).await.expect("write");
        drop(stdin);
        collect(child, String::new()).await
    }

    /// Starts `cnap auth login --no-browser` and waits for its user code.
    pub async fn start_login(&self) -> Login {
        let mut child = self
            .cnap(&["auth", "login", "--no-browser"])
            .spawn()
            .expect("spawn cnap");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let mut seen = String::new();
        let user_code = loop {
            let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
                .await
                .expect("a user code within 30 s")
                .expect("read stderr")
                .unwrap_or_else(|| panic!("cnap ended before printing a code:\n{seen}"));
            seen.push_str(&line);
            seen.push('\n');
            if let Some(code) = line.split("one-time code: ").nth(1) {
                break code.trim().to_owned();
            }
        };
        Login {
            child,
            lines,
            seen,
            user_code,
        }
    }

    /// A complete device login approved through the API; returns the run.
    pub async fn device_login(&self, api: &Api) -> Out {
        let login = self.start_login().await;
        api.answer(&login.user_code, true).await;
        login.finish().await
    }
}

/// A `cnap auth login` in progress.
pub struct Login {
    child: Child,
    lines: Lines<BufReader<ChildStderr>>,
    seen: String,
    pub user_code: String,
}

impl Login {
    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// Waits for the exit, with everything it printed.
    pub async fn finish(mut self) -> Out {
        let mut rest = self.seen;
        while let Ok(Some(line)) = self.lines.next_line().await {
            rest.push_str(&line);
            rest.push('\n');
        }
        collect(self.child, rest).await
    }
}

pub async fn finish(mut command: Command) -> Out {
    collect(command.spawn().expect("spawn cnap"), String::new()).await
}

/// Waits (bounded) for `child` and reads what it printed; `stderr_so_far`
/// is what was already read from a taken stderr.
async fn collect(mut child: Child, stderr_so_far: String) -> Out {
    let mut stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take();
    let run = async {
        let mut out = String::new();
        let mut err = stderr_so_far;
        let read_out = stdout.read_to_string(&mut out);
        let read_err = async {
            if let Some(mut stderr) = stderr {
                stderr.read_to_string(&mut err).await.expect("stderr");
            }
        };
        let (r, ()) = tokio::join!(read_out, read_err);
        r.expect("stdout");
        let status = child.wait().await.expect("wait");
        (status, out, err)
    };
    let (status, stdout, stderr) = tokio::time::timeout(RUN_LIMIT, run)
        .await
        .expect("cnap finished in time");
    Out {
        code: exit_code(status),
        stdout,
        stderr,
    }
}

/// The exit code, or 128 + the signal for a killed process (as a shell says).
fn exit_code(status: std::process::ExitStatus) -> i32 {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return 128 + signal;
        }
    }
    status.code().expect("an exit code")
}

/// Permission bits of a path.
#[cfg(unix)]
pub fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
}

/// A loopback port nothing listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// A person logged in with the device flow, acting in a new workspace of
/// theirs.
pub async fn owner_in_a_workspace(api: &Api, name: &str) -> (Home, String) {
    let home = Home::new(&api.base);
    home.device_login(api).await.expect(0);
    let ws = api.workspace(name).await;
    home.run(&["workspaces", "use", &ws]).await.expect(0);
    (home, ws)
}
