//! `cnap api METHOD PATH`: any request of the API's contract, sent with the
//! credential and workspace in effect, its JSON answer printed (as `gh api`
//! does). A non-success answer is printed too, then reported as the usual
//! error with its exit code.

use std::io::Read;

use reqwest::Method;
use serde_json::{Map, Value};

use akua_core::paging::Page;

use crate::cli::{ApiArgs, ListArgs};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::output::{self, Table};
use crate::settings::Settings;

pub async fn run(settings: &Settings, args: ApiArgs, table: bool) -> Result<()> {
    let method = Method::from_bytes(args.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| Error::Usage(format!("not an HTTP method: {}", args.method)))?;
    let fields = fields(&args)?;
    let sends_query = matches!(method, Method::GET | Method::DELETE | Method::HEAD);
    let (query, body) = match (&args.input, sends_query) {
        (Some(path), _) => (Vec::new(), Some(read_input(path)?)),
        (None, true) => (as_query(&fields), None),
        (None, false) if fields.is_empty() => (Vec::new(), None),
        (None, false) => (
            Vec::new(),
            Some(serde_json::to_vec(&fields).expect("a JSON map")),
        ),
    };
    if args.paginate && method != Method::GET {
        return Err(Error::Usage("--paginate follows the pages of a GET".into()));
    }
    settings.require_credential()?;
    let client = settings.client()?;
    let path = under_api(settings.api_url.path(), &args.path);
    let (status, answer) = client
        .raw(method.clone(), path, &query, body.clone())
        .await?;
    if !status.is_success() {
        if !answer.is_empty() {
            print(&answer, false)?;
        }
        return Err(Client::error_of(status, &answer));
    }
    let answer = if args.paginate {
        every_page(&client, path, &query, answer).await?
    } else {
        answer
    };
    if !answer.is_empty() {
        print(&answer, table)?;
    }
    Ok(())
}

/// `path` relative to the API URL: a leading `/v1` (or the API URL's whole
/// path, e.g. `/prod/v1`) is the URL's own and is dropped.
fn under_api<'a>(api_path: &str, path: &'a str) -> &'a str {
    let api_path = api_path.trim_end_matches('/');
    let strip = |prefix: &str| {
        path.strip_prefix(prefix)
            .filter(|rest| rest.is_empty() || rest.starts_with(['/', '?']))
    };
    [api_path, "/v1"]
        .into_iter()
        .filter(|p| !p.is_empty())
        .find_map(strip)
        .unwrap_or(path)
}

/// The first answer's list joined with every page after it, following
/// `next_cursor`: one list, complete.
async fn every_page(
    client: &Client,
    path: &str,
    query: &[(String, String)],
    first: Vec<u8>,
) -> Result<Vec<u8>> {
    let parse = |bytes: &[u8]| -> Result<Page<Value>> {
        serde_json::from_slice(bytes).map_err(|_| {
            Error::Usage(
                "--paginate: the answer is not a list (data, has_more, next_cursor)".into(),
            )
        })
    };
    let list = ListArgs {
        limit: None,
        all: true,
        cursor: None,
    };
    let mut first = Some(parse(&first)?);
    let joined = super::fetch_pages(&list, async |_, cursor: Option<String>| {
        if let Some(page) = first.take() {
            return Ok(page);
        }
        let mut query = query.to_vec();
        query.retain(|(k, _)| k != "cursor");
        query.extend(cursor.map(|c| ("cursor".to_owned(), c)));
        let (status, answer) = client.raw(Method::GET, path, &query, None).await?;
        if !status.is_success() {
            return Err(Client::error_of(status, &answer));
        }
        parse(&answer)
    })
    .await?;
    serde_json::to_vec(&joined).map_err(|e| Error::Io(format!("cannot encode JSON: {e}")))
}

/// An answer as JSON (shaped by `--json`/`--jq`), or with `-o table` as
/// rows: a list's items under their keys, one object as `key: value`.
fn print(answer: &[u8], table: bool) -> Result<()> {
    let Ok(json) = serde_json::from_slice::<Value>(answer) else {
        return output::line(&String::from_utf8_lossy(answer));
    };
    if !table {
        return output::json(&json);
    }
    let items = match &json {
        Value::Object(page) => match page.get("data") {
            Some(Value::Array(items)) => items.clone(),
            _ => return output::details(&pairs(page)),
        },
        Value::Array(items) => items.clone(),
        _ => return output::json(&json),
    };
    let Some(Value::Object(first)) = items.first() else {
        return Ok(());
    };
    let keys: Vec<String> = first.keys().cloned().collect();
    let headers: Vec<String> = keys.iter().map(|k| k.to_uppercase()).collect();
    let mut rows = Table::new(&headers.iter().map(String::as_str).collect::<Vec<_>>());
    for item in &items {
        rows.row(keys.iter().map(|k| cell(item.get(k))).collect());
    }
    rows.print()
}

fn pairs(object: &Map<String, Value>) -> Vec<(&str, String)> {
    object
        .iter()
        .map(|(k, v)| (k.as_str(), cell(Some(v))))
        .collect()
}

/// A value in a cell: strings bare, null as `—`, the rest as compact JSON.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "—".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// `-F key=value` (typed) and `-f key=value` (string) as one JSON object.
fn fields(args: &ApiArgs) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    let pairs = args
        .fields
        .iter()
        .map(|f| (f, true))
        .chain(args.raw_fields.iter().map(|f| (f, false)));
    for (field, typed) in pairs {
        let (key, value) = field
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or_else(|| Error::Usage(format!("expected key=value, got {field:?}")))?;
        out.insert(
            key.to_owned(),
            if typed {
                typed_value(value)
            } else {
                Value::String(value.to_owned())
            },
        );
    }
    Ok(out)
}

/// `true`, `false`, `null` and numbers as JSON; anything else a string.
fn typed_value(value: &str) -> Value {
    match value {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => value
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(value.to_owned())),
    }
}

fn as_query(fields: &Map<String, Value>) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), v)
        })
        .collect()
}

fn read_input(path: &std::path::Path) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut body)
            .map_err(|e| Error::Io(format!("cannot read standard input: {e}")))?;
    } else {
        body = std::fs::read(path)
            .map_err(|e| Error::Io(format!("cannot read {}: {e}", path.display())))?;
    }
    serde_json::from_slice::<Value>(&body)
        .map_err(|e| Error::Usage(format!("--input is not JSON: {e}")))?;
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_may_carry_the_api_urls_own_prefix() {
        assert_eq!(under_api("/v1", "/v1/auth/whoami"), "/auth/whoami");
        assert_eq!(under_api("/v1", "/auth/whoami"), "/auth/whoami");
        assert_eq!(
            under_api("/prod/v1", "/prod/v1/api_tokens?limit=1"),
            "/api_tokens?limit=1"
        );
        assert_eq!(under_api("/prod/v1", "/v1/api_tokens"), "/api_tokens");
        assert_eq!(under_api("/v1", "/v1"), "");
        // Only whole segments: a path that merely starts with the letters stays.
        assert_eq!(under_api("/v1", "/v1x/a"), "/v1x/a");
    }

    #[test]
    fn typed_fields_become_json_values() {
        assert_eq!(typed_value("true"), Value::Bool(true));
        assert_eq!(typed_value("null"), Value::Null);
        assert_eq!(typed_value("42"), Value::from(42));
        assert_eq!(typed_value("ws_a"), Value::from("ws_a"));
        assert_eq!(typed_value("4.2"), Value::from("4.2"));
    }
}
