//! `GET /workspaces/{ws}/security-log`: the capability log, for admins in
//! person, with filters applied in SQL and a cursor bound to the workspace.

use serde::{Deserialize, Serialize};
use tarello_domain::policy::Action;
use tarello_store::repo::capability::{self, Entry, Filter};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Caller, Cursor, Page, PageQuery, ServiceError, Services};

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SecurityLogQuery {
    /// A user id, or a machine token's id.
    pub principal_id: Option<Uuid>,
    /// `allowed` or `denied`.
    pub decision: Option<String>,
    /// `call` (an API call) or `account` (a security event of the account).
    pub kind: Option<String>,
    /// A policy action such as `card.create`, or an account event such as
    /// `login.failed`.
    pub action: Option<String>,
    /// RFC 3339; rows at or after.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<OffsetDateTime>,
    /// RFC 3339; rows before.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub until: Option<OffsetDateTime>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// One capability invocation or account security event.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SecurityLogEntry {
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// `call` or `account`.
    pub kind: String,
    /// `user`, `token` or `anonymous` (no valid token).
    pub principal_kind: String,
    pub principal_id: Option<Uuid>,
    /// `human` or `machine`.
    pub lane: Option<String>,
    /// The principal's role in the workspace.
    pub role: Option<String>,
    /// The policy action (calls) or the event kind (account events).
    pub action: Option<String>,
    /// The granted scope: `own`, `board` or `workspace`.
    pub scope: Option<String>,
    /// `allowed` or `denied`.
    pub decision: String,
    /// The HTTP status answered (calls).
    pub status: Option<i16>,
    pub method: Option<String>,
    /// The route template, e.g. `/api/v1/workspaces/{ws}/cards/{id}`.
    pub route: Option<String>,
    /// Path ids, query and body with secrets as `***` and long text cut.
    #[schema(value_type = Option<Object>)]
    pub payload: Option<serde_json::Value>,
    pub request_id: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

impl From<Entry> for SecurityLogEntry {
    fn from(e: Entry) -> Self {
        SecurityLogEntry {
            seq: e.seq,
            at: e.at,
            kind: e.kind,
            principal_kind: e.principal_kind,
            principal_id: e.principal_id,
            lane: e.lane,
            role: e.role,
            action: e.action,
            scope: e.scope,
            decision: e.decision,
            status: e.status,
            method: e.method,
            route: e.route,
            payload: e.payload,
            request_id: e.request_id,
            client_ip: e.client_ip,
            user_agent: e.user_agent,
        }
    }
}

fn one_of<'a>(
    field: &'static str,
    v: Option<&'a str>,
    allowed: [&str; 2],
) -> Result<Option<&'a str>, ServiceError> {
    match v {
        Some(s) if !allowed.contains(&s) => Err(ServiceError::Invalid {
            field,
            message: format!("{field} is {} or {}", allowed[0], allowed[1]),
        }),
        other => Ok(other),
    }
}

impl Services {
    pub async fn security_log(
        &self,
        caller: &Caller,
        q: &SecurityLogQuery,
    ) -> Result<Page<SecurityLogEntry>, ServiceError> {
        let grant = caller.authorize(Action::SecurityLogRead)?;
        let page = PageQuery {
            cursor: q.cursor.clone(),
            limit: q.limit,
        };
        let cursor: Cursor<i64> = Cursor::parse(&page, caller.workspace.id)?;
        crate::work::time_range(q.since, q.until)?;
        let action = crate::work::short("action", q.action.as_deref())?;
        let filter = Filter {
            principal_id: q.principal_id,
            decision: one_of("decision", q.decision.as_deref(), ["allowed", "denied"])?,
            kind: one_of("kind", q.kind.as_deref(), ["call", "account"])?,
            action,
            since: q.since,
            until: q.until,
        };
        let mut tx = self.tenant(caller).await?;
        let rows = capability::list(&mut tx, &grant, &filter, cursor.after, cursor.limit).await?;
        tx.commit().await?;
        let next_cursor = cursor.next(caller.workspace.id, &rows, |e| e.seq);
        Ok(Page {
            items: rows.into_iter().map(SecurityLogEntry::from).collect(),
            next_cursor,
        })
    }
}
