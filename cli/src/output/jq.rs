//! `--jq EXPR`: a jq filter over the JSON a command prints, run by jaq (a
//! jq interpreter in Rust) with jq's standard library. As with `gh --jq`,
//! a string result prints raw, anything else as compact JSON.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data, unwrap_valr};
use jaq_json::{Val, read};
use serde_json::Value;

use crate::error::{Error, Result};

type Filter = jaq_core::Filter<data::JustLut<Val>>;

/// Compiles `expr`, or says it is not a jq expression (a usage error).
fn compile(expr: &str) -> Result<Filter> {
    let invalid = || Error::Usage(format!("--jq: not a valid jq expression: {expr}"));
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs());
    let funs = jaq_core::funs()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs());
    let arena = Arena::default();
    let modules = Loader::new(defs)
        .load(
            &arena,
            File {
                code: expr,
                path: (),
            },
        )
        .map_err(|_| invalid())?;
    Compiler::default()
        .with_funs(funs)
        .compile(modules)
        .map_err(|_| invalid())
}

/// Whether `expr` compiles: checked before any request is sent.
pub fn check(expr: &str) -> Result<()> {
    compile(expr).map(drop)
}

/// The results of `expr` over `input`, one line each.
pub fn run(expr: &str, input: &Value) -> Result<Vec<String>> {
    let filter = compile(expr)?;
    let text =
        serde_json::to_vec(input).map_err(|e| Error::Io(format!("cannot encode JSON: {e}")))?;
    let input = read::parse_single(&text)
        .map_err(|e| Error::Io(format!("--jq: cannot read the JSON: {e}")))?;
    let ctx = Ctx::<data::JustLut<Val>>::new(&filter.lut, Vars::new([]));
    filter
        .id
        .run((ctx, input))
        .map(unwrap_valr)
        .map(|out| match out {
            Ok(Val::TStr(s)) => Ok(String::from_utf8_lossy(&s).into_owned()),
            Ok(other) => Ok(other.to_string()),
            Err(e) => Err(Error::Usage(format!("--jq: {e}"))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_print_raw_and_the_rest_as_json() {
        let input = json!([{"id": "tok_1", "n": 2}, {"id": "tok_2", "n": 3}]);
        assert_eq!(run(".[].id", &input).unwrap(), ["tok_1", "tok_2"]);
        assert_eq!(run("map(.n) | add", &input).unwrap(), ["5"]);
        assert_eq!(run(".[0]", &input).unwrap(), [r#"{"id":"tok_1","n":2}"#]);
    }

    #[test]
    fn a_broken_expression_is_a_usage_error() {
        assert!(matches!(check(".[] |"), Err(Error::Usage(_))));
        assert!(check(".data[] | select(.role == \"admin\") | .id").is_ok());
    }
}
