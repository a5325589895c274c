//! Checks shared by the log listings' filters (history, security log).

use time::OffsetDateTime;

use crate::ServiceError;

/// A name filter: 1 to 64 characters when given (422 naming `field`).
pub(crate) fn short<'a>(
    field: &'static str,
    v: Option<&'a str>,
) -> Result<Option<&'a str>, ServiceError> {
    match v {
        Some(s) if s.is_empty() || s.len() > 64 => Err(ServiceError::Invalid {
            field,
            message: format!("{field} has 1 to 64 characters"),
        }),
        other => Ok(other),
    }
}

/// `since` must come before `until` when both are given (422 otherwise).
pub(crate) fn time_range(
    since: Option<OffsetDateTime>,
    until: Option<OffsetDateTime>,
) -> Result<(), ServiceError> {
    match (since, until) {
        (Some(since), Some(until)) if since >= until => Err(ServiceError::Invalid {
            field: "since",
            message: "since is before until".into(),
        }),
        _ => Ok(()),
    }
}
