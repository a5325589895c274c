//! Finding the PostgreSQL server binaries.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::PgError;

/// Environment variable that overrides binary discovery (a directory holding `initdb` and `postgres`).
pub const BINDIR_ENV: &str = "TARELLO_PG_BINDIR";

/// Root of Debian's versioned PostgreSQL installations.
const DEBIAN_ROOT: &str = "/usr/lib/postgresql";

/// A directory holding the PostgreSQL server binaries (`initdb`, `postgres`, usually `psql`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBinaries {
    bindir: PathBuf,
}

impl PgBinaries {
    /// Find the server binaries.
    ///
    /// Order: the `TARELLO_PG_BINDIR` environment variable (if set, it is the only
    /// place looked at), else `/usr/lib/postgresql/<highest version>/bin`, else
    /// `pg_config --bindir`. On Debian `pg_config --bindir` may name `/usr/bin`, which
    /// only holds client wrappers, hence the versioned directory comes first.
    pub fn discover() -> Result<PgBinaries, PgError> {
        Self::discover_with(std::env::var_os(BINDIR_ENV).map(PathBuf::from))
    }

    /// Like [`discover`](Self::discover) with the value of `TARELLO_PG_BINDIR` passed in
    /// (handy for tests: edition 2024 makes mutating the process environment unsafe).
    pub fn discover_with(override_dir: Option<PathBuf>) -> Result<PgBinaries, PgError> {
        if let Some(dir) = override_dir {
            return Self::from_bindir(&dir).ok_or_else(|| PgError::BinariesMissing {
                looked_in: format!("{} (from {BINDIR_ENV})", dir.display()),
            });
        }
        let mut candidates = debian_bindirs(Path::new(DEBIAN_ROOT));
        if let Some(dir) = pg_config_bindir() {
            candidates.push(dir);
        }
        if candidates.is_empty() {
            return Err(PgError::BinariesMissing {
                looked_in: format!("{DEBIAN_ROOT}/*/bin and `pg_config --bindir`"),
            });
        }
        Self::discover_in(&candidates)
    }

    /// The first candidate directory that holds both `initdb` and `postgres`.
    pub fn discover_in(candidates: &[PathBuf]) -> Result<PgBinaries, PgError> {
        candidates
            .iter()
            .find_map(|dir| Self::from_bindir(dir))
            .ok_or_else(|| PgError::BinariesMissing {
                looked_in: if candidates.is_empty() {
                    "nowhere: no candidate directories".to_owned()
                } else {
                    candidates
                        .iter()
                        .map(|c| c.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            })
    }

    /// `Some` when `dir` holds executable `initdb` and `postgres`.
    pub fn from_bindir(dir: &Path) -> Option<PgBinaries> {
        (is_executable(&dir.join("initdb")) && is_executable(&dir.join("postgres"))).then(|| {
            PgBinaries {
                bindir: dir.to_path_buf(),
            }
        })
    }

    /// The directory holding the binaries.
    pub fn bindir(&self) -> &Path {
        &self.bindir
    }

    /// Path of `initdb`.
    pub fn initdb(&self) -> PathBuf {
        self.bindir.join("initdb")
    }

    /// Path of `postgres`.
    pub fn postgres(&self) -> PathBuf {
        self.bindir.join("postgres")
    }

    /// Path of `psql` (may not exist if only the server package is installed).
    pub fn psql(&self) -> PathBuf {
        self.bindir.join("psql")
    }
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// `<root>/<version>/bin` for every numeric version directory, highest version first.
fn debian_bindirs(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut versions: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let key = name
                .split('.')
                .map(str::parse::<u32>)
                .collect::<Result<Vec<_>, _>>()
                .ok()?;
            Some((key, e.path().join("bin")))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    versions.into_iter().map(|(_, p)| p).collect()
}

fn pg_config_bindir() -> Option<PathBuf> {
    let out = std::process::Command::new("pg_config")
        .arg("--bindir")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?;
    let s = s.trim();
    (!s.is_empty()).then(|| PathBuf::from(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sorted_numerically() {
        let tmp = tempfile::tempdir().unwrap();
        for v in ["9.6", "15", "10", "notaversion"] {
            std::fs::create_dir_all(tmp.path().join(v).join("bin")).unwrap();
        }
        let dirs = debian_bindirs(tmp.path());
        let names: Vec<_> = dirs
            .iter()
            .map(|p| p.parent().unwrap().file_name().unwrap().to_str().unwrap())
            .collect();
        assert_eq!(names, ["15", "10", "9.6"]);
    }

    #[test]
    fn missing_message_is_one_line() {
        let err = PgBinaries::discover_in(&[PathBuf::from("/nonexistent")]).unwrap_err();
        let msg = err.to_string();
        assert!(!msg.contains('\n'));
        assert!(msg.contains("/nonexistent"));
        assert!(msg.contains("apt-get install postgresql"));
    }
}
