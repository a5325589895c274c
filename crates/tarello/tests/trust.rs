#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Keeps TRUST.md honest.
//!
//! - TRUST.md has exactly one table row per claim of the product, no more.
//! - A claim marked `implemented` has at least one test comment naming it
//!   (`// proves: ENC-1`, or `proves: ENC-1, ENC-3`) in a `.rs` or `.py` file
//!   under `crates/` or `bench/`, and lists its tests in "Proven by" as
//!   `path::name`; each such `fn name` exists in that file, and that file
//!   names the claim in a proves comment.
//! - No proves comment names a claim that TRUST.md marks `not yet` or does
//!   not list.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Every claim family of the product and how many claims it has.
const FAMILIES: &[(&str, u32)] = &[
    ("ISO", 5),
    ("ENC", 8),
    ("RBAC", 8),
    ("ACC", 10),
    ("AUD", 6),
    ("GDPR", 6),
    ("BAK", 2),
    ("EDGE", 4),
    ("API", 1),
];

/// The marker that precedes claim IDs in test comments. Built at compile time
/// so this file does not match itself.
const MARKER: &str = concat!("proves", ":");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Implemented,
    NotYet,
}

#[derive(Debug)]
struct Row {
    line: usize,
    status: Status,
    /// `(path, name)` from the "Proven by" cell; path may be empty.
    proven_by: Vec<(String, String)>,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn expected_ids() -> BTreeSet<String> {
    FAMILIES
        .iter()
        .flat_map(|(family, n)| (1..=*n).map(move |i| format!("{family}-{i}")))
        .collect()
}

/// `ISO-2`-shaped: upper-case letters, a hyphen, digits.
fn is_claim_shaped(token: &str) -> bool {
    let Some((family, number)) = token.split_once('-') else {
        return false;
    };
    !family.is_empty()
        && family.chars().all(|c| c.is_ascii_uppercase())
        && !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit())
}

/// Claim IDs in `text`, whole words only (`XENC-1` is `XENC-1`, not `ENC-1`).
fn claim_ids(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .map(|t| t.trim_matches('-'))
        .filter(|t| is_claim_shaped(t))
        .map(str::to_owned)
        .collect()
}

fn parse_trust(text: &str) -> (BTreeMap<String, Row>, Vec<String>) {
    let mut rows = BTreeMap::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let Some(inner) = line.trim().strip_prefix('|') else {
            continue;
        };
        let cells: Vec<&str> = inner
            .trim_end_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        let Some(id) = cells.first().copied() else {
            continue;
        };
        if !is_claim_shaped(id) {
            continue; // header, separator or another table
        }
        if cells.len() != 3 {
            errors.push(format!(
                "TRUST.md:{line_no}: row {id} must have 3 cells (Claim | Status | Proven by), has {}",
                cells.len()
            ));
            continue;
        }
        // `partial (…what is missing…)`: the built part is held to the same
        // rule as `implemented` — named tests must exist and prove it.
        let status = if cells[1].starts_with("implemented") || cells[1].starts_with("partial") {
            Status::Implemented
        } else if cells[1].starts_with("not yet") {
            Status::NotYet
        } else {
            errors.push(format!(
                "TRUST.md:{line_no}: status of {id} must start with `implemented`, `partial` or `not yet`, is `{}`",
                cells[1]
            ));
            continue;
        };
        let proven_by = cells[2]
            .split('`')
            .skip(1)
            .step_by(2)
            .map(|item| match item.rsplit_once("::") {
                Some((path, name)) => (path.to_owned(), name.to_owned()),
                None => (String::new(), item.to_owned()),
            })
            .collect();
        let row = Row {
            line: line_no,
            status,
            proven_by,
        };
        if let Some(first) = rows.insert(id.to_owned(), row) {
            errors.push(format!(
                "TRUST.md:{line_no}: {id} is listed twice (first on line {})",
                first.line
            ));
        }
    }
    (rows, errors)
}

/// `.rs` and `.py` files under `dir`, skipping build output and hidden dirs.
fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if name != "target" && !name.starts_with('.') {
                source_files(&path, out);
            }
        } else if kind.is_file() && (name.ends_with(".rs") || name.ends_with(".py")) {
            out.push(path);
        }
    }
}

/// Is the text before the marker on this line a comment opener?
fn in_comment(before: &str) -> bool {
    let t = before.trim_start();
    ["//", "#", "/*", "*", "\"\"\"", "'''"]
        .iter()
        .any(|opener| t.starts_with(opener))
        || before.contains("//")
        || before.contains('#')
}

/// Claim IDs named by proves comments in `text`, with line numbers.
fn proves_in(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        let mut consumed = 0;
        while let Some(pos) = rest.find(MARKER) {
            let before = &line[..consumed + pos];
            let after = &rest[pos + MARKER.len()..];
            if in_comment(before) {
                for id in claim_ids(after) {
                    out.push((i + 1, id));
                }
                break;
            }
            consumed += pos + MARKER.len();
            rest = after;
        }
    }
    out
}

/// Does `text` define `fn name` (any visibility, async or not)?
fn defines_fn(text: &str, name: &str) -> bool {
    let needle = format!("fn {name}");
    text.match_indices(&needle).any(|(pos, _)| {
        let before_ok = pos == 0
            || !text[..pos]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
        let after_ok = !text[pos + needle.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        before_ok && after_ok
    })
}

#[test]
fn trust_page_matches_the_tests() {
    let root = repo_root();
    let trust_path = root.join("TRUST.md");
    let trust = fs::read_to_string(&trust_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", trust_path.display()));
    let (rows, mut errors) = parse_trust(&trust);

    let expected = expected_ids();
    for id in &expected {
        if !rows.contains_key(id) {
            errors.push(format!("TRUST.md has no row for claim {id}"));
        }
    }
    for (id, row) in &rows {
        if !expected.contains(id) {
            errors.push(format!(
                "TRUST.md:{}: {id} is not a claim of the product",
                row.line
            ));
        }
    }

    let this_file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/trust.rs")
        .canonicalize()
        .unwrap();
    let mut files = Vec::new();
    source_files(&root.join("crates"), &mut files);
    source_files(&root.join("bench"), &mut files);
    files.sort();

    let mut texts: BTreeMap<PathBuf, String> = BTreeMap::new();
    // Claim ID -> places (path:line) whose proves comment names it.
    let mut proven: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in &files {
        if file.canonicalize().is_ok_and(|f| f == this_file) {
            continue;
        }
        let Ok(text) = fs::read_to_string(file) else {
            continue;
        };
        let rel = file.strip_prefix(&root).unwrap_or(file).to_path_buf();
        for (line, id) in proves_in(&text) {
            let place = format!("{}:{line}", rel.display());
            match rows.get(&id) {
                None => errors.push(format!(
                    "{place}: proves {id}, which TRUST.md does not list"
                )),
                Some(row) if row.status == Status::NotYet => errors.push(format!(
                    "{place}: proves {id}, which TRUST.md marks `not yet` (line {}): mark it implemented and list the test",
                    row.line
                )),
                Some(_) => {}
            }
            proven.entry(id).or_default().push(place);
        }
        texts.insert(rel, text);
    }

    for (id, row) in &rows {
        if row.status != Status::Implemented {
            continue;
        }
        if !proven.contains_key(id) {
            errors.push(format!(
                "TRUST.md:{}: {id} is marked implemented but no test under crates/ or bench/ has a `proves: {id}` comment",
                row.line
            ));
        }
        if row.proven_by.is_empty() {
            errors.push(format!(
                "TRUST.md:{}: {id} is marked implemented but \"Proven by\" lists no test (`path::name`)",
                row.line
            ));
        }
        for (path, name) in &row.proven_by {
            if path.is_empty() {
                if !texts.values().any(|t| defines_fn(t, name)) {
                    errors.push(format!(
                        "TRUST.md:{}: {id} lists test `{name}`, but no `fn {name}` exists under crates/ or bench/",
                        row.line
                    ));
                }
                continue;
            }
            let Some(text) = texts.get(Path::new(path)) else {
                errors.push(format!(
                    "TRUST.md:{}: {id} lists `{path}::{name}`, but {path} does not exist",
                    row.line
                ));
                continue;
            };
            if !defines_fn(text, name) {
                errors.push(format!(
                    "TRUST.md:{}: {id} lists `{path}::{name}`, but {path} has no `fn {name}`",
                    row.line
                ));
            }
            if !proves_in(text).iter().any(|(_, p)| p == id) {
                errors.push(format!(
                    "TRUST.md:{}: {id} lists a test in {path}, but that file has no `proves: {id}` comment",
                    row.line
                ));
            }
        }
    }

    assert!(
        errors.is_empty(),
        "TRUST.md and the tests disagree:\n  - {}",
        errors.join("\n  - ")
    );
}

#[test]
fn the_checker_reads_what_it_should() {
    assert_eq!(expected_ids().len(), 50);
    assert_eq!(claim_ids("ENC-1, ENC-3)."), vec!["ENC-1", "ENC-3"]);
    assert_eq!(claim_ids("XENC-1 enc-2 ISO-"), vec!["XENC-1"]);
    let src = "// proves: ISO-2\nlet s = \"proves: ACC-1\";\n\"\"\"Partner (proves: ENC-1).\n";
    let src = src.replace("proves:", MARKER);
    assert_eq!(
        proves_in(&src),
        vec![(1, "ISO-2".to_owned()), (3, "ENC-1".to_owned())]
    );
    assert!(defines_fn("async fn abc() {}", "abc"));
    assert!(!defines_fn("fn abcd() {}", "abc"));
    assert!(!defines_fn("fn xabc() {}", "abc"));
    let (rows, errors) = parse_trust(
        "| Claim | Status | Proven by |\n| --- | --- | --- |\n\
         | ISO-1 | implemented | `a/b.rs::t1`<br>`t2` |\n| ISO-3 | not yet (issue 3) | — |\n",
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(rows["ISO-1"].status, Status::Implemented);
    assert_eq!(
        rows["ISO-1"].proven_by,
        vec![
            ("a/b.rs".to_owned(), "t1".to_owned()),
            (String::new(), "t2".to_owned())
        ]
    );
    assert_eq!(rows["ISO-3"].status, Status::NotYet);
}
