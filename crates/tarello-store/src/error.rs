//! Store errors. Messages name what went wrong without echoing secrets or
//! row contents; the sqlx cause goes to the log, not to API clients.

use tarello_crypto::CryptoError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("a workspace with slug `{0}` already exists")]
    SlugTaken(String),
    #[error("no workspace `{0}`")]
    UnknownWorkspace(String),
    #[error(
        "the database schema is at control version {control_at} with {workspaces_behind} workspace(s) behind, but this build expects version {expected}: run `tarello migrate`"
    )]
    OutOfDate {
        control_at: i32,
        expected: i32,
        workspaces_behind: i64,
    },
    #[error(
        "the database was migrated by a newer Tarello (control version {found}, this build knows {known}); upgrade the binary"
    )]
    TooNew { found: i32, known: i32 },
    #[error("migration {version} ({name}) was changed after it was applied (checksum mismatch)")]
    ChecksumMismatch { version: i32, name: String },
    #[error(
        "the configured KEK does not match this database: its data keys are wrapped by KEK id(s) {expected}, but the configured KEK id(s) are {configured}. Check TARELLO_KEK / TARELLO_KEK_FILE"
    )]
    WrongKek {
        expected: String,
        configured: String,
    },
    #[error("key error: {0}")]
    Crypto(#[from] CryptoError),
    #[error("internal: `{got}` grant used where `{expected}` is required")]
    WrongGrant {
        expected: &'static str,
        got: &'static str,
    },
    #[error("internal: stored rank keys are out of order")]
    BadRank,
    #[error("invalid database role name `{0}`")]
    BadRoleName(String),
}

impl StoreError {
    /// The PostgreSQL SQLSTATE, when the database refused the statement.
    pub fn sqlstate(&self) -> Option<String> {
        match self {
            StoreError::Db(sqlx::Error::Database(e)) => e.code().map(|c| c.into_owned()),
            _ => None,
        }
    }

    /// True for a unique violation (23505).
    pub fn is_unique_violation(&self) -> bool {
        self.sqlstate().as_deref() == Some("23505")
    }

    /// True for a PostgreSQL `insufficient_privilege` (42501) error.
    pub fn is_permission_denied(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42501"))
    }
}
