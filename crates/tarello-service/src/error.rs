//! Service errors. Each variant maps to one problem type at the edge; the
//! messages are safe to show (no internals, no secrets, nothing that tells
//! whether an account exists).

use tarello_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// A malformed request parameter (400), e.g. a foreign cursor.
    #[error("{field}: {message}")]
    BadRequest {
        field: &'static str,
        message: String,
    },
    /// The resource changed since the version the caller sent (409).
    #[error("{0}")]
    Stale(String),
    /// The body is larger than allowed (413).
    #[error("too large: {0}")]
    TooLarge(String),
    #[error("wrong email or password")]
    BadCredentials,
    #[error("too many attempts; try again later")]
    Throttled { retry_after_secs: i64 },
    #[error("this workspace requires two-factor authentication")]
    TwoFactorRequired,
    #[error("a second factor is required")]
    SecondFactorRequired,
    #[error("the code is wrong or has expired")]
    BadCode,
    #[error("authentication required")]
    Unauthenticated,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("that would leave the workspace without an active admin")]
    LastAdmin,
    #[error("this needs the {needed} plan")]
    PlanRequired {
        /// The plan that includes it.
        needed: &'static str,
        /// The workspace's plan.
        current: String,
    },
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("internal error")]
    Internal(String),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::SlugTaken(slug) => {
                ServiceError::Conflict(format!("the slug `{slug}` is taken"))
            }
            StoreError::UnknownWorkspace(_) => ServiceError::NotFound,
            other => ServiceError::Internal(other.to_string()),
        }
    }
}

impl From<tarello_crypto::CryptoError> for ServiceError {
    fn from(e: tarello_crypto::CryptoError) -> Self {
        ServiceError::Internal(e.to_string())
    }
}
