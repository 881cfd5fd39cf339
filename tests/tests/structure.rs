//! The code's shape, held by tests (docs/DESIGN.md, "A core that only
//! decides"): the core does no I/O and knows no HTTP, its modules form no
//! import loop, and no production match hides a new credential kind,
//! principal or action behind a wildcard arm.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_owned()
}

/// The crates whose code runs in production (the CLI and the local run
/// are held by the same lint through their own roots below).
const PRODUCTION: [&str; 11] = [
    "shared/core",
    "shared/store",
    "shared/edge",
    "functions/http",
    "functions/authorizer",
    "functions/tokens",
    "functions/workspaces",
    "functions/sessions",
    "functions/cleanup",
    "functions/dashboard",
    "functions/docs",
];

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable source dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// A file's production lines: its unit tests (`#[cfg(test)] mod tests`,
/// always last) cut off.
fn production(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("readable source");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    if let Some(at) = lines
        .windows(2)
        .position(|w| w[0].trim() == "#[cfg(test)]" && w[1].trim_start().starts_with("mod tests"))
    {
        lines.truncate(at);
    }
    lines
}

#[test]
fn the_core_depends_on_no_http_client_runtime_or_server() {
    let manifest = std::fs::read_to_string(root().join("shared/core/Cargo.toml")).unwrap();
    let dependencies = manifest
        .split("[dependencies]")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .expect("a [dependencies] table");
    for forbidden in [
        "reqwest", "hyper", "tokio", "axum", "http", "lambda", "aws-sdk",
    ] {
        assert!(
            !dependencies
                .lines()
                .any(|l| l.trim_start().starts_with(forbidden)),
            "akua-core depends on {forbidden}: I/O and HTTP belong at the edges"
        );
    }
    for path in rust_files(&root().join("shared/core/src")) {
        for line in production(&path) {
            for forbidden in ["std::env::var", "StatusCode", "reqwest::", "tokio::"] {
                assert!(
                    !line.contains(forbidden),
                    "{}: `{forbidden}` in the core: {line}",
                    path.display()
                );
            }
        }
    }
}

/// Which core modules each core module names (`crate::module`), from the
/// production code.
fn core_imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = root().join("shared/core/src");
    let modules: BTreeSet<String> = rust_files(&src)
        .iter()
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .filter(|m| m != "lib")
        .collect();
    let mut graph = BTreeMap::new();
    for module in &modules {
        let mut uses = BTreeSet::new();
        for line in production(&src.join(format!("{module}.rs"))) {
            let code = line.split("//").next().unwrap_or("");
            for (at, _) in code.match_indices("crate::") {
                let name: String = code[at + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if modules.contains(&name) && name != *module {
                    uses.insert(name);
                }
            }
            // `use crate::{a, b::C}` names several at once.
            if let Some(group) = code.trim_start().strip_prefix("use crate::{") {
                for part in group.split([',', '}']) {
                    let name = part.trim().split("::").next().unwrap_or("").to_owned();
                    if modules.contains(&name) && name != *module {
                        uses.insert(name);
                    }
                }
            }
        }
        graph.insert(module.clone(), uses);
    }
    graph
}

#[test]
fn the_core_s_modules_form_no_import_loop() {
    let graph = core_imports();
    // Depth-first search; a grey node met again closes a loop.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, bool>,
        path: &mut Vec<String>,
    ) {
        match state.get(node) {
            Some(true) => return,
            Some(false) => {
                let start = path.iter().position(|n| n == node).unwrap_or(0);
                panic!(
                    "import loop in akua-core: {} -> {node}",
                    path[start..].join(" -> ")
                );
            }
            None => {}
        }
        state.insert(node.to_owned(), false);
        path.push(node.to_owned());
        for next in &graph[node] {
            visit(next, graph, state, path);
        }
        path.pop();
        state.insert(node.to_owned(), true);
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        visit(node, &graph, &mut state, &mut Vec::new());
    }
}

/// The enums whose new variants must be handled everywhere they are
/// matched: a wildcard arm beside one of them would take a new kind
/// silently.
const KINDS: [&str; 9] = [
    "StoredCredential::",
    "CredentialKind::",
    "Credential::",
    "Principal::",
    "PersonCredential::",
    "Action::",
    "AuditAction::",
    "TokenKind::",
    "ActorKind::",
];

/// Wildcard arms (`_ =>`, `_ if … =>`) in matches that also name one of
/// [`KINDS`]. Clippy's `wildcard_enum_match_arm` (on in every production
/// crate) sees the plain cases; this sees a wildcard beside kinds nested in
/// an `Option` or a tuple.
fn hidden_kinds(lines: &[String]) -> Vec<(usize, String)> {
    let is_wildcard = |l: &str| matches!(l.trim_start().trim_start_matches("| "), t if t.starts_with("_ =>") || t.starts_with("_ if "));
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !is_wildcard(line) {
            continue;
        }
        // Walk up to the brace that opens the arm's block.
        let mut depth = 0i32;
        let mut opened = None;
        for j in (0..i).rev() {
            let l = &lines[j];
            depth += l.matches('}').count() as i32 - l.matches('{').count() as i32;
            if depth < 0 {
                opened = Some(j);
                break;
            }
        }
        let Some(start) = opened else { continue };
        if !lines[start].contains("match ") {
            continue;
        }
        // The arms' patterns: what precedes `=>` on the lines at the
        // match's own depth (arm bodies in braces are deeper).
        let mut depth = 0i32;
        let mut patterns = Vec::new();
        for l in &lines[start + 1..i] {
            if depth == 0 {
                patterns.push(l.split("=>").next().unwrap_or(""));
            }
            depth += l.matches('{').count() as i32 - l.matches('}').count() as i32;
        }
        if let Some(kind) = patterns
            .iter()
            .find_map(|l| KINDS.iter().find(|k| l.contains(**k)))
        {
            found.push((i + 1, format!("{kind} beside `{}`", line.trim())));
        }
    }
    found
}

#[test]
fn no_wildcard_arm_hides_a_credential_kind_principal_or_action() {
    let mut found = Vec::new();
    for krate in PRODUCTION {
        for path in rust_files(&root().join(krate).join("src")) {
            for (line, what) in hidden_kinds(&production(&path)) {
                found.push(format!("{}:{line}: {what}", path.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "wildcard arms over kinds:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_a_wildcard_beside_a_nested_kind() {
    let sample: Vec<String> = [
        "match store.credential(&hash).await? {",
        "    Some(StoredCredential::Session(s)) => s,",
        "    _ => return Err(not_found()),",
        "}",
        "match name {",
        "    \"jwt\" => Ok(CredentialKind::Jwt),",
        "    _ => None,",
        "}",
    ]
    .map(str::to_owned)
    .to_vec();
    assert_eq!(hidden_kinds(&sample).len(), 1);
    assert_eq!(hidden_kinds(&sample)[0].0, 3);
}

#[test]
fn every_production_crate_turns_the_wildcard_lint_on() {
    for krate in PRODUCTION {
        let src = root().join(krate).join("src");
        let root_file = if src.join("lib.rs").exists() {
            src.join("lib.rs")
        } else {
            src.join("main.rs")
        };
        let text = std::fs::read_to_string(&root_file).unwrap();
        assert!(
            text.contains("#![cfg_attr(not(test), warn(clippy::wildcard_enum_match_arm))]"),
            "{}: the wildcard lint is off",
            root_file.display()
        );
    }
}

/// What `docs/DESIGN.md` holds: its numbered sections, their titles (any
/// heading level, number left out) and its rules (`| R7 |`).
struct Design {
    sections: BTreeSet<u32>,
    titles: BTreeSet<String>,
    rules: BTreeSet<u32>,
}

fn design() -> Design {
    let text = std::fs::read_to_string(root().join("docs/DESIGN.md")).expect("docs/DESIGN.md");
    let mut d = Design {
        sections: BTreeSet::new(),
        titles: BTreeSet::new(),
        rules: BTreeSet::new(),
    };
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("##") {
            let heading = heading.trim_start_matches('#').trim();
            let (number, title) = match heading.split_once(". ") {
                Some((n, t)) if n.parse::<u32>().is_ok() => (n.parse::<u32>().ok(), t),
                _ => (None, heading),
            };
            d.sections.extend(number);
            d.titles.insert(title.to_owned());
        } else if let Some(rule) = line.strip_prefix("| R") {
            let digits: String = rule.chars().take_while(char::is_ascii_digit).collect();
            d.rules.extend(digits.parse::<u32>().ok());
        }
    }
    d
}

/// A citation of the design after the word `DESIGN` (`.md` optional): a
/// section by number (`§4`), a rule (`R7`), or a section by title
/// (`, "Sudo mode"`). `None`: the word cites nothing in particular.
#[derive(Debug, PartialEq)]
enum Citation {
    Section(u32),
    Rule(u32),
    Title(String),
}

fn citation(after: &str) -> Option<Citation> {
    let rest = after.strip_prefix(".md").unwrap_or(after);
    let digits = |s: &str| -> Option<u32> {
        let d: String = s.chars().take_while(char::is_ascii_digit).collect();
        d.parse().ok()
    };
    if let Some(n) = rest.strip_prefix(" §") {
        return digits(n).map(Citation::Section);
    }
    let rest = rest.strip_prefix(',').unwrap_or(rest);
    if let Some(n) = rest.strip_prefix(" R") {
        return digits(n).map(Citation::Rule);
    }
    let title = rest.strip_prefix(" \"")?;
    title
        .split_once('"')
        .map(|(t, _)| Citation::Title(t.to_owned()))
}

/// Text files of the repository that may cite the design.
fn citing_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let skip = ["target", "node_modules", ".git", ".aws-sam", ".akua"];
    for entry in std::fs::read_dir(dir).expect("readable dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if !skip.contains(&name) {
                citing_files(&path, out);
            }
        } else if ["rs", "md", "yaml", "toml", "js", "mjs", "py", "sh", "html"]
            .iter()
            .any(|e| path.extension().is_some_and(|x| x == *e))
            && !path.ends_with("docs/DESIGN.md")
        {
            out.push(path);
        }
    }
}

/// Every rule and section the code and the documents cite exists in
/// `docs/DESIGN.md`, and nothing cites a design outside the repository.
#[test]
fn every_design_citation_resolves() {
    let design = design();
    let mut files = Vec::new();
    citing_files(&root(), &mut files);
    let mut broken = Vec::new();
    let mut cited = 0;
    // Spelled apart, so this file does not cite it.
    let outside = ["shared", "DESIGN"].join("/");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        // A citation may wrap across comment lines: join them first.
        let joined = text
            .lines()
            .map(|l| {
                l.trim()
                    .trim_start_matches("//!")
                    .trim_start_matches("///")
                    .trim_start_matches("//")
                    .trim_start_matches('#')
                    .trim()
            })
            .collect::<Vec<_>>()
            .join(" ");
        let shown = file
            .strip_prefix(root())
            .unwrap_or(&file)
            .display()
            .to_string();
        assert!(
            !joined.contains(&outside),
            "{shown} cites a design outside the repository"
        );
        for (at, _) in joined.match_indices("DESIGN") {
            let Some(c) = citation(&joined[at + "DESIGN".len()..]) else {
                continue;
            };
            cited += 1;
            let found = match &c {
                Citation::Section(n) => design.sections.contains(n),
                Citation::Rule(n) => design.rules.contains(n),
                Citation::Title(t) => design.titles.contains(t),
            };
            if !found {
                broken.push(format!("{shown}: {c:?}"));
            }
        }
    }
    assert!(
        cited > 100,
        "only {cited} citations found: is the scan right?"
    );
    assert!(
        broken.is_empty(),
        "citations docs/DESIGN.md does not resolve:\n{}",
        broken.join("\n")
    );
}

#[test]
fn a_citation_is_read_as_written() {
    assert_eq!(citation(" §4, the table"), Some(Citation::Section(4)));
    assert_eq!(citation(".md R19)"), Some(Citation::Rule(19)));
    assert_eq!(citation(".md, R23"), Some(Citation::Rule(23)));
    assert_eq!(
        citation(".md, \"Sudo mode\")"),
        Some(Citation::Title("Sudo mode".into()))
    );
    assert_eq!(citation(".md in your own words"), None);
}

/// The end-to-end tests whose subject is the wire itself (bad input,
/// headers): they spell paths and bodies by hand, on purpose.
const WIRE_FILES: [&str; 2] = ["bad_input.rs", "contract_headers.rs"];

/// What a test outside the wire tests may not write: a route's path or a
/// hand-made JSON body. Everything before a file's final `mod wire` block
/// counts.
fn spelled_wire(source: &str) -> Vec<(usize, String)> {
    source
        .lines()
        .enumerate()
        .take_while(|(_, line)| !line.starts_with("mod wire"))
        .filter(|(_, line)| line.contains("\"/v1/") || line.contains("json!("))
        .map(|(i, line)| (i + 1, line.trim().to_owned()))
        .collect()
}

#[test]
fn end_to_end_tests_speak_through_the_typed_harness() {
    let dir = root().join("tests/tests");
    let mut found = Vec::new();
    for path in rust_files(&dir) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if WIRE_FILES.contains(&name.as_str()) || name == "structure.rs" {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        for (line, text) in spelled_wire(&source) {
            found.push(format!("tests/tests/{name}:{line}: {text}"));
        }
    }
    assert!(
        found.is_empty(),
        "routes and bodies go through akua_tests::Call (wire tests: a final `mod wire` block):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_harness_check_sees_a_path_or_a_body_before_the_wire_block_only() {
    let source = "let r = caller.post(\"/v1/api_tokens\", body);\nlet b = json!({});\nmod wire {\n    let r = caller.get(\"/v1/nope\");\n}\n";
    let found: Vec<usize> = spelled_wire(source).into_iter().map(|(l, _)| l).collect();
    assert_eq!(found, [1, 2]);
}
