//! `cnap api METHOD PATH`: any request of the API's contract, sent with the
//! credential and workspace in effect, its JSON answer printed (as `gh api`
//! does). A non-success answer is printed too, then reported as the usual
//! error with its exit code.

use std::io::Read;

use reqwest::Method;
use serde_json::{Map, Value};

use crate::cli::ApiArgs;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::output;
use crate::settings::Settings;

pub async fn run(settings: &Settings, args: ApiArgs) -> Result<()> {
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
    settings.require_credential()?;
    let (status, answer) = settings
        .client()?
        .raw(method, &args.path, &query, body)
        .await?;
    if !answer.is_empty() {
        match serde_json::from_slice::<Value>(&answer) {
            Ok(json) => output::json(&json)?,
            Err(_) => output::line(&String::from_utf8_lossy(&answer))?,
        }
    }
    if status.is_success() {
        Ok(())
    } else {
        Err(Client::error_of(status, &answer))
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
    fn typed_fields_become_json_values() {
        assert_eq!(typed_value("true"), Value::Bool(true));
        assert_eq!(typed_value("null"), Value::Null);
        assert_eq!(typed_value("42"), Value::from(42));
        assert_eq!(typed_value("ws_a"), Value::from("ws_a"));
        assert_eq!(typed_value("4.2"), Value::from("4.2"));
    }
}
