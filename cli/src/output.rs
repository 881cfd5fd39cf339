//! How results reach stdout, shaped for whoever reads them, as `gh` does:
//!
//! - a person at a terminal gets aligned tables with a header, fitted to
//!   the terminal's width, and relative times ("in 3 days");
//! - a pipe gets plain rows: tab-separated cells, no header, RFC 3339
//!   times, so `cnap tokens list | cut -f1` gives the ids;
//! - a script asks for JSON: `-o json` (the API's answer as is), `--json
//!   FIELD,…` (only those fields, a list as an array) and `--jq EXPR` (a
//!   jq filter over that JSON; strings print raw).
//!
//! Only data goes to stdout; progress, confirmations and warnings go to
//! stderr. A reader that stops reading (`cnap … | head -1`) ends the
//! command quietly ([`Error::StdoutClosed`]).
//!
//! The shape is chosen once per process, from the global flags and whether
//! stdout is a terminal ([`configure`]): stdout itself is process-wide, and
//! every command then prints through the same few functions.

use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};

mod jq;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
}

/// Forces terminal output at this width (any other value: 80 columns),
/// for tests and for pagers that keep a terminal's width.
const FORCE_TTY: &str = "CNAP_FORCE_TTY";
const DEFAULT_WIDTH: usize = 80;

/// How this process prints.
#[derive(Debug, Default)]
pub struct Shape {
    /// `--json FIELD,…`: keep only these fields of each object.
    pub fields: Option<Vec<String>>,
    /// `--jq EXPR`, checked to compile.
    pub jq: Option<String>,
    /// The terminal's width when stdout is one.
    pub terminal: Option<usize>,
}

static SHAPE: OnceLock<Shape> = OnceLock::new();

impl Shape {
    /// The shape for these flags, on this process's stdout. A `--jq` that
    /// does not compile is a usage error, before any request.
    pub fn new(fields: Option<Vec<String>>, jq: Option<String>) -> Result<Self> {
        if let Some(expr) = &jq {
            jq::check(expr)?;
        }
        Ok(Self {
            fields,
            jq,
            terminal: terminal_width(),
        })
    }
}

/// Sets the shape for the rest of the process (the first call wins).
pub fn configure(shape: Shape) {
    let _ = SHAPE.set(shape);
}

fn shape() -> &'static Shape {
    SHAPE.get_or_init(|| Shape {
        terminal: terminal_width(),
        ..Shape::default()
    })
}

fn terminal_width() -> Option<usize> {
    if let Some(forced) = std::env::var_os(FORCE_TTY).filter(|v| !v.is_empty()) {
        return Some(
            forced
                .to_str()
                .and_then(|v| v.parse().ok())
                .unwrap_or(DEFAULT_WIDTH),
        );
    }
    if !std::io::stdout().is_terminal() {
        return None;
    }
    Some(
        terminal_size::terminal_size()
            .map(|(w, _)| usize::from(w.0))
            .unwrap_or(DEFAULT_WIDTH),
    )
}

/// JSON on stdout, shaped by `--json` and `--jq` if given, else pretty.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let value =
        serde_json::to_value(value).map_err(|e| Error::Io(format!("cannot encode JSON: {e}")))?;
    let shape = shape();
    let value = match &shape.fields {
        Some(fields) => select(value, fields)?,
        None => value,
    };
    match &shape.jq {
        Some(expr) => {
            for out in jq::run(expr, &value)? {
                line(&out)?;
            }
            Ok(())
        }
        None => line(&pretty(&value)?),
    }
}

fn pretty(value: &Value) -> Result<String> {
    serde_json::to_string_pretty(value).map_err(|e| Error::Io(format!("cannot encode JSON: {e}")))
}

/// `--json FIELD,…`: a list (a page's `data`, or an array) becomes an
/// array of objects with only those fields; one object keeps only those.
/// A field no object has is a usage error naming the ones there are.
fn select(value: Value, fields: &[String]) -> Result<Value> {
    let items = match value {
        Value::Object(mut page) if page.get("data").is_some_and(Value::is_array) => {
            page.remove("data").unwrap_or_default()
        }
        other => other,
    };
    let pick = |item: &Value| -> Value {
        Value::Object(
            fields
                .iter()
                .map(|f| (f.clone(), item.get(f).cloned().unwrap_or(Value::Null)))
                .collect(),
        )
    };
    let sample = match &items {
        Value::Array(list) => list.first(),
        other => Some(other),
    };
    if let Some(Value::Object(known)) = sample
        && let Some(unknown) = fields.iter().find(|f| !known.contains_key(f.as_str()))
    {
        let mut names: Vec<&str> = known.keys().map(String::as_str).collect();
        names.sort_unstable();
        return Err(Error::Usage(format!(
            "--json: unknown field {unknown:?}; the fields are: {}",
            names.join(", ")
        )));
    }
    Ok(match &items {
        Value::Array(list) => Value::Array(list.iter().map(pick).collect()),
        other => pick(other),
    })
}

/// One line on stdout. A reader that went away ends the command quietly.
pub fn line(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => Error::StdoutClosed,
            _ => Error::Io(format!("cannot write to stdout: {e}")),
        })
}

/// Rows of cells: aligned under a header at a terminal, tab-separated
/// without one in a pipe.
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Self {
        Self {
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.headers.len());
        self.rows.push(cells);
    }

    /// Aligned columns under a header, fitted to `width`: the widest
    /// columns give up characters (ending in `…`) until the row fits.
    pub fn render(&self, width: usize) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        fit(&mut widths, width);
        std::iter::once(&self.headers)
            .chain(&self.rows)
            .map(|row| {
                let cells: Vec<String> = row
                    .iter()
                    .zip(&widths)
                    .map(|(cell, &w)| format!("{:<w$}", clip(cell, w)))
                    .collect();
                cells.join(GAP).trim_end().to_owned()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Tab-separated cells, a line per row, no header.
    pub fn plain(&self) -> String {
        self.rows
            .iter()
            .map(|row| {
                row.iter()
                    .map(|cell| cell.replace(['\t', '\n'], " "))
                    .collect::<Vec<_>>()
                    .join("\t")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The first row as `key: value` lines, for one item (`tokens view`).
    pub fn print_record(&self) -> Result<()> {
        let Some(row) = self.rows.first() else {
            return Ok(());
        };
        let pairs: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|h| h.to_lowercase())
            .zip(row.iter().cloned())
            .collect();
        let pairs: Vec<(&str, String)> =
            pairs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        details(&pairs)
    }

    pub fn print(&self) -> Result<()> {
        match shape().terminal {
            Some(width) => line(&self.render(width)),
            None if self.rows.is_empty() => Ok(()),
            None => line(&self.plain()),
        }
    }
}

const GAP: &str = "  ";
/// No column is clipped below this many characters.
const MIN_COLUMN: usize = 6;

/// Shrinks the widest column, one character at a time, until the row fits
/// `width` or every column is at its minimum. The first column (the id a
/// person copies into the next command) is never cut.
fn fit(widths: &mut [usize], width: usize) {
    let total = |w: &[usize]| w.iter().sum::<usize>() + GAP.len() * w.len().saturating_sub(1);
    while total(widths) > width {
        let Some(widest) = widths
            .iter_mut()
            .skip(1)
            .filter(|w| **w > MIN_COLUMN)
            .max_by_key(|w| **w)
        else {
            return;
        };
        *widest -= 1;
    }
}

/// `cell` cut to `width` characters, the last one `…` when cut.
fn clip(cell: &str, width: usize) -> String {
    if cell.chars().count() <= width {
        return cell.to_owned();
    }
    let kept: String = cell.chars().take(width.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// `key: value` lines for one object: aligned at a terminal, `key:<TAB>value`
/// in a pipe.
pub fn details(pairs: &[(&str, String)]) -> Result<()> {
    let text = match shape().terminal {
        Some(_) => {
            let width = pairs.iter().map(|(k, _)| k.len() + 1).max().unwrap_or(0);
            pairs
                .iter()
                .map(|(k, v)| format!("{:<width$} {v}", format!("{k}:")))
                .collect::<Vec<_>>()
                .join("\n")
        }
        None => pairs
            .iter()
            .map(|(k, v)| format!("{k}:\t{v}"))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    line(&text)
}

/// A time for people at a terminal ("in 3 days", "5 minutes ago"), and
/// RFC 3339 (`2025-06-15T15:06:40Z`) for a pipe.
pub fn timestamp(secs: i64) -> String {
    match shape().terminal {
        Some(_) => relative(secs, jiff::Timestamp::now().as_second()),
        None => rfc3339(secs),
    }
}

/// An optional time, with what its absence means.
pub fn maybe_timestamp(secs: Option<i64>, absent: &str) -> String {
    secs.map_or_else(|| absent.to_owned(), timestamp)
}

fn rfc3339(secs: i64) -> String {
    match jiff::Timestamp::from_second(secs) {
        Ok(t) => t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Err(_) => secs.to_string(),
    }
}

/// `secs` relative to `now`, in the largest whole unit.
fn relative(secs: i64, now: i64) -> String {
    let delta = secs - now;
    let ago = delta < 0;
    let d = delta.unsigned_abs();
    let (n, unit) = match d {
        0..60 => return "just now".to_owned(),
        60..3_600 => (d / 60, "minute"),
        3_600..86_400 => (d / 3_600, "hour"),
        86_400..2_592_000 => (d / 86_400, "day"),
        2_592_000..31_536_000 => (d / 2_592_000, "month"),
        _ => (d / 31_536_000, "year"),
    };
    let s = if n == 1 { "" } else { "s" };
    if ago {
        format!("{n} {unit}{s} ago")
    } else {
        format!("in {n} {unit}{s}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn table() -> Table {
        let mut t = Table::new(&["ID", "NAME"]);
        t.row(vec!["tok_1".into(), "ci".into()]);
        t.row(vec!["tok_22".into(), "".into()]);
        t
    }

    #[test]
    fn at_a_terminal_columns_align_under_a_header() {
        assert_eq!(table().render(80), "ID      NAME\ntok_1   ci\ntok_22");
    }

    #[test]
    fn in_a_pipe_rows_are_tab_separated_without_a_header() {
        assert_eq!(table().plain(), "tok_1\tci\ntok_22\t");
        let mut t = Table::new(&["NAME"]);
        t.row(vec!["a\tb\nc".into()]);
        assert_eq!(t.plain(), "a b c");
    }

    #[test]
    fn a_wide_table_is_fitted_by_clipping_its_widest_column() {
        let mut t = Table::new(&["ID", "NAME"]);
        t.row(vec!["tok_1234567890".into(), "x".repeat(100)]);
        let shown = t.render(30);
        assert!(shown.lines().all(|l| l.chars().count() <= 30), "{shown}");
        assert!(shown.ends_with('…'), "{shown}");
        // The id is never cut, whatever the width.
        assert!(t.render(1).contains("tok_1234567890"));
    }

    #[test]
    fn times_are_relative_for_people_and_rfc3339_for_pipes() {
        assert_eq!(rfc3339(1_750_000_000), "2025-06-15T15:06:40Z");
        let now = 1_750_000_000;
        assert_eq!(relative(now + 3 * 86_400 + 5, now), "in 3 days");
        assert_eq!(relative(now - 3_600, now), "1 hour ago");
        assert_eq!(relative(now + 10, now), "just now");
        assert_eq!(relative(now - 400 * 86_400, now), "1 year ago");
    }

    #[test]
    fn json_fields_select_from_each_item_of_a_list() {
        let page = json!({"data": [{"id": "a", "name": "x", "role": "admin"}], "has_more": false});
        let fields = vec!["id".to_owned(), "name".to_owned()];
        assert_eq!(
            select(page.clone(), &fields).unwrap(),
            json!([{"id": "a", "name": "x"}])
        );
        assert_eq!(
            select(json!({"id": "a", "role": "admin"}), &["id".to_owned()]).unwrap(),
            json!({"id": "a"})
        );
        let Err(Error::Usage(message)) = select(page, &["nope".to_owned()]) else {
            panic!("an unknown field is a usage error");
        };
        assert!(message.contains("id, name, role"), "{message}");
    }
}
