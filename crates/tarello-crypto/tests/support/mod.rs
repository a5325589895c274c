//! Running the Python side of an interop test: one JSON request on stdin,
//! one JSON answer on stdout. The interpreter is `$TARELLO_PYTHON` (default
//! `python3`); a missing interpreter or module fails the test, it never
//! passes silently.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

pub fn python() -> String {
    std::env::var("TARELLO_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// Fails unless `import {modules}` works.
pub fn require(modules: &str) {
    let py = python();
    let out = Command::new(&py)
        .args(["-c", &format!("import {modules}")])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run Python interpreter `{py}` ({e}); run `scripts/test`, which sets up \
                 Python with the interop packages, or set TARELLO_PYTHON"
            )
        });
    assert!(
        out.status.success(),
        "Python `{py}` cannot `import {modules}`: run `scripts/test`, which installs them \
         (or set TARELLO_PYTHON to an interpreter that has them). stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `tests/{script}` with `request` and returns its answer.
pub fn run(script: &str, modules: &str, request: &Value) -> Value {
    require(modules);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(script);
    let mut child = Command::new(python())
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
