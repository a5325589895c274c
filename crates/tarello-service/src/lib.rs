//! Use cases: authorize, validate, call the store, record events, send
//! mail. Handlers call exactly one function here; nothing here knows HTTP.
#![forbid(unsafe_code)]

mod accounts;
mod api_tokens;
mod capability;
mod clock;
mod email;
mod error;
mod gatecache;
mod invitations;
mod mail;
mod members;
mod passwords;
mod totp;
mod work;
mod workspaces;

use std::sync::Arc;

pub use accounts::{Client, LoginInput, SessionView, SignupInput, Tokens};
pub use api_tokens::{ApiTokenView, NewApiToken};
pub use capability::{
    CallAudit, CallPrincipal, CallRecord, Decision, SecurityLogEntry, SecurityLogQuery, redact,
};
pub use clock::{Clock, SystemClock};
pub use email::Email;
pub use error::ServiceError;
pub use invitations::{AcceptInput, InvitationInput, InvitationView};
pub use mail::{Mailer, Outbox};
pub use members::MemberView;
pub use totp::Enrolment;
pub use work::*;
pub use workspaces::{
    Caller, Origin, SettingsInput, WorkspaceDetail, WorkspaceToken, WorkspaceView,
};

use tarello_crypto::{KekSet, PasswordParams};
use tarello_store::Db;

/// Limits and lifetimes; defaults follow the issue text.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub password: PasswordParams,
    /// Concurrent Argon2 computations (the bounded blocking pool).
    pub hash_concurrency: usize,
    pub lockout_threshold: i32,
    pub ip_lockout_threshold: i32,
    pub access_ttl_secs: i64,
    pub session_ttl_secs: i64,
    pub workspace_token_ttl_secs: i64,
    pub reset_code_ttl_secs: i64,
    pub reset_codes_per_hour: i32,
    pub code_attempts: i32,
    pub signup_per_ip_per_hour: i32,
    pub signup_per_domain_per_hour: i32,
    /// The issuer in workspace tokens (the public URL).
    pub issuer: String,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            password: PasswordParams::default(),
            hash_concurrency: 2,
            lockout_threshold: 5,
            ip_lockout_threshold: 20,
            access_ttl_secs: 15 * 60,
            session_ttl_secs: 30 * 24 * 3600,
            workspace_token_ttl_secs: 10 * 60,
            reset_code_ttl_secs: 15 * 60,
            reset_codes_per_hour: 3,
            code_attempts: 5,
            signup_per_ip_per_hour: 10,
            signup_per_domain_per_hour: 50,
            issuer: "tarello".to_owned(),
        }
    }
}

/// The control data key's field cipher and the one-time-code pepper.
pub(crate) type ControlSecrets = Arc<(tarello_crypto::FieldCipher, [u8; 32])>;

/// Everything a use case needs. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub(crate) db: Db,
    pub(crate) keks: Arc<KekSet>,
    pub(crate) cfg: Arc<AuthConfig>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) mail: Arc<Mailer>,
    pub(crate) hasher: Arc<passwords::Hashing>,
    pub(crate) migrations: Arc<tarello_store::migrate::MigrationSet>,
    /// The control data key's cipher and code pepper, unwrapped on first use.
    pub(crate) control: Arc<tokio::sync::OnceCell<ControlSecrets>>,
    /// Attachment storage and settings (see `Services::with_attachments`).
    pub(crate) files: Option<Arc<work::Files>>,
    /// Workspace rows and public keys for request authentication.
    pub(crate) gates: Arc<gatecache::GateCache>,
    /// The capability log's queue (AUD-3).
    pub(crate) calls: Arc<capability::CallLog>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services").finish_non_exhaustive()
    }
}

impl Services {
    pub fn new(
        db: Db,
        keks: KekSet,
        cfg: AuthConfig,
        clock: Arc<dyn Clock>,
        mail: Mailer,
    ) -> Result<Services, ServiceError> {
        let hasher = passwords::Hashing::new(cfg.password, cfg.hash_concurrency)?;
        let calls = Arc::new(capability::CallLog::new(db.clone()));
        Ok(Services {
            db,
            keks: Arc::new(keks),
            cfg: Arc::new(cfg),
            clock,
            mail: Arc::new(mail),
            hasher: Arc::new(hasher),
            migrations: Arc::new(tarello_store::migrate::MigrationSet::builtin()),
            control: Arc::new(tokio::sync::OnceCell::new()),
            files: None,
            gates: Arc::new(gatecache::GateCache::default()),
            calls,
        })
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn migrations(&self) -> &tarello_store::migrate::MigrationSet {
        &self.migrations
    }
}

#[cfg(test)]
mod send_checks {
    fn is_send<T: Send>(_: T) {}
    #[allow(dead_code)]
    fn futures_are_send(
        s: &crate::Services,
        r: &tarello_store::identity::sessions::SessionRow,
        slug: &tarello_domain::Slug,
    ) {
        is_send(tarello_store::create_workspace(
            &s.db,
            &s.keks,
            &s.migrations,
            slug,
            "x",
            time::OffsetDateTime::now_utc(),
        ));
        is_send(tarello_store::keyring::field_cipher(
            &s.db,
            &s.keks,
            tarello_domain::WorkspaceId::new_v7(),
        ));
        is_send(tarello_store::identity::members::add(
            &s.db,
            tarello_domain::WorkspaceId::new_v7(),
            r.user_id,
            "admin",
            &tarello_store::Actor::system(),
            time::OffsetDateTime::now_utc(),
        ));
    }
}
