//! How results reach stdout: aligned tables for people, JSON for scripts.
//!
//! Only data goes to stdout; progress, confirmations and warnings go to
//! stderr, so `cnap … -o json | jq` always sees clean JSON.

use std::io::Write;

use serde::Serialize;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
}

/// Pretty JSON on stdout.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::Io(format!("cannot encode JSON: {e}")))?;
    line(&text)
}

/// One line on stdout; a closed pipe (`cnap … | head`) is an I/O error
/// rather than a panic.
pub fn line(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(|e| Error::Io(format!("cannot write to stdout: {e}")))
}

/// Columns padded to their widest cell.
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&'static str]) -> Self {
        Self {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.headers.len());
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let header: Vec<String> = self.headers.iter().map(|h| (*h).to_owned()).collect();
        std::iter::once(&header)
            .chain(&self.rows)
            .map(|row| {
                let cells: Vec<String> = row
                    .iter()
                    .zip(&widths)
                    .map(|(cell, w)| format!("{cell:<w$}"))
                    .collect();
                cells.join("  ").trim_end().to_owned()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn print(&self) -> Result<()> {
        line(&self.render())
    }
}

/// `key: value` lines with the values aligned, for one object.
pub fn details(pairs: &[(&str, String)]) -> Result<()> {
    let width = pairs.iter().map(|(k, _)| k.len() + 1).max().unwrap_or(0);
    let text = pairs
        .iter()
        .map(|(k, v)| format!("{:<width$} {v}", format!("{k}:")))
        .collect::<Vec<_>>()
        .join("\n");
    line(&text)
}

/// Unix seconds as UTC, e.g. `2025-06-01 12:00:00 UTC`.
pub fn timestamp(secs: i64) -> String {
    match jiff::Timestamp::from_second(secs) {
        Ok(t) => t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Err(_) => secs.to_string(),
    }
}

/// An optional timestamp, with what its absence means.
pub fn maybe_timestamp(secs: Option<i64>, absent: &str) -> String {
    secs.map_or_else(|| absent.to_owned(), timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns_and_trim_trailing_space() {
        let mut t = Table::new(&["ID", "NAME"]);
        t.row(vec!["tok_1".into(), "ci".into()]);
        t.row(vec!["tok_22".into(), "".into()]);
        assert_eq!(t.render(), "ID      NAME\ntok_1   ci\ntok_22");
    }

    #[test]
    fn timestamps_are_utc() {
        assert_eq!(timestamp(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(timestamp(1_750_000_000), "2025-06-15 15:06:40 UTC");
        assert_eq!(maybe_timestamp(None, "never"), "never");
    }
}
