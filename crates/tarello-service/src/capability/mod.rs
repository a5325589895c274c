//! The capability log (AUD-3): every call to a workspace route, allowed or
//! denied, and the account security events of the workspace's members.
//!
//! A request carries a [`CallAudit`] slot. The HTTP edge puts it in the
//! request, the workspace extractor names the principal in it, and
//! [`crate::Caller::authorize`] notes the policy's decision there; after
//! the handler the edge hands the slot, the status and the redacted
//! payload to [`Services::log_call`], which queues one row for the
//! background [`writer`].

mod flood;
mod read;
pub mod redact;
mod writer;

use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;
use tarello_domain::WorkspaceId;
use tarello_domain::policy::{Action, Lane, Role, Scope};
use tarello_store::identity::events::{self, Event};
use tarello_store::repo::capability::Entry;
use time::OffsetDateTime;
use uuid::Uuid;

pub use read::{SecurityLogEntry, SecurityLogQuery};
pub(crate) use writer::CallLog;

use crate::{Origin, Services};

/// What the policy said about the call's action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub action: Action,
    /// The granted scope; `None` when refused.
    pub scope: Option<Scope>,
}

/// Who made the call, once authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallPrincipal {
    pub id: Uuid,
    pub lane: Lane,
    /// The role in the workspace (none for an account-only route).
    pub role: Option<Role>,
}

#[derive(Debug, Clone, Default)]
struct Facts {
    workspace: Option<WorkspaceId>,
    principal: Option<CallPrincipal>,
    decision: Option<Decision>,
}

/// The slot one request's facts are gathered in. Clones share it.
#[derive(Debug, Clone, Default)]
pub struct CallAudit(Arc<Mutex<Facts>>);

impl CallAudit {
    fn with<R>(&self, f: impl FnOnce(&mut Facts) -> R) -> R {
        // A panic elsewhere cannot leave these plain values half-written.
        let mut facts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut facts)
    }

    /// The request was authenticated: by whom, for which workspace.
    pub fn identified(&self, workspace: Option<WorkspaceId>, principal: CallPrincipal) {
        self.with(|f| {
            f.workspace = workspace.or(f.workspace);
            f.principal = Some(principal);
        });
    }

    /// The policy's answer. The first one is the call's own action; later
    /// ones are follow-up reads, except that a later refusal wins (the
    /// call was refused after all).
    pub(crate) fn decided(&self, action: Action, scope: Option<Scope>) {
        self.with(|f| match f.decision {
            None => f.decision = Some(Decision { action, scope }),
            Some(d) if d.scope.is_some() && scope.is_none() => {
                f.decision = Some(Decision { action, scope });
            }
            Some(_) => {}
        });
    }

    pub fn decision(&self) -> Option<Decision> {
        self.with(|f| f.decision)
    }
}

/// One finished call, as the HTTP edge saw it.
#[derive(Debug, Clone)]
pub struct CallRecord {
    /// The `{ws}` of the path.
    pub slug: String,
    pub status: u16,
    pub method: String,
    /// The route template, e.g. `/api/v1/workspaces/{ws}/cards/{id}`.
    pub route: String,
    /// Path ids, query and the redacted body (see [`redact`]).
    pub payload: Value,
    pub origin: Origin,
}

/// Kinds of account event that record a refusal.
fn refused_kind(kind: &str) -> bool {
    ["failed", "locked", "limited", "reused", "refused"]
        .iter()
        .any(|w| kind.contains(w))
}

impl Services {
    /// Queues the row for one call to a workspace route. Calls to a
    /// workspace that does not exist are not logged (there is no log to
    /// put them in). Waits when the queue is full rather than drop a row.
    pub async fn log_call(&self, audit: &CallAudit, call: CallRecord) {
        let facts = audit.with(|f| f.clone());
        let workspace = match facts.workspace {
            Some(ws) => ws,
            None => match self.workspace_of_slug(&call.slug).await {
                Some(ws) => ws,
                None => return,
            },
        };
        // 401 and 403 are refusals even when the policy granted the action
        // (e.g. an own-scoped edit of someone else's comment).
        let refused_status = matches!(call.status, 401 | 403);
        let (action, scope, allowed) = match facts.decision {
            Some(d) => (
                Some(d.action.as_str().to_owned()),
                d.scope.map(|s| s.as_str().to_owned()),
                d.scope.is_some() && !refused_status,
            ),
            None => (None, None, call.status < 400),
        };
        let (principal_kind, principal_id, lane, role) = match facts.principal {
            Some(p) => (
                match p.lane {
                    Lane::Human => "user",
                    Lane::Machine => "token",
                },
                Some(p.id),
                Some(p.lane.as_str().to_owned()),
                p.role.map(|r| r.as_str().to_owned()),
            ),
            None => ("anonymous", None, None, None),
        };
        let nonempty = |s: String| (!s.is_empty()).then_some(s);
        let entry = Entry {
            seq: 0,
            at: self.clock.now(),
            kind: "call".into(),
            principal_kind: principal_kind.into(),
            principal_id,
            lane,
            role,
            action,
            scope,
            decision: if allowed { "allowed" } else { "denied" }.into(),
            status: i16::try_from(call.status).ok(),
            method: Some(call.method),
            route: Some(call.route),
            payload: Some(call.payload),
            request_id: nonempty(call.origin.request_id),
            client_ip: nonempty(call.origin.client_ip),
            user_agent: nonempty(call.origin.user_agent),
        };
        self.calls.call(workspace, entry).await;
    }

    /// The workspace behind a slug, for logging a call whose token did
    /// not say (401s); `None` when there is none.
    async fn workspace_of_slug(&self, slug: &str) -> Option<WorkspaceId> {
        let slug = tarello_domain::Slug::parse(slug).ok()?;
        if let Some(g) = self.gates.get(slug.as_str()) {
            return Some(g.workspace.id);
        }
        tarello_store::find_workspace(&self.db, &slug)
            .await
            .ok()
            .map(|ws| ws.id)
    }

    /// Records a security event, and copies it into the capability log:
    /// of the event's workspace when it has one, else (logins, resets,
    /// TOTP, sessions: the account as a whole) of every workspace the user
    /// is a member of. Never fails the caller's request.
    pub(crate) async fn security_event(&self, e: Event<'_>, now: OffsetDateTime) {
        let kind = e.kind.to_owned();
        let copy = AccountEvent {
            user: e.user_id,
            workspace: e.workspace_id,
            entry: Entry {
                seq: 0,
                at: now,
                kind: "account".into(),
                principal_kind: if e.user_id.is_some() {
                    "user"
                } else {
                    "anonymous"
                }
                .into(),
                principal_id: e.user_id,
                lane: Some(Lane::Human.as_str().to_owned()),
                role: None,
                action: Some(kind.clone()),
                scope: None,
                decision: if refused_kind(&kind) {
                    "denied"
                } else {
                    "allowed"
                }
                .into(),
                status: None,
                method: None,
                route: None,
                payload: Some(redact::redact(
                    e.detail
                        .as_ref()
                        .unwrap_or(&Value::Object(Default::default())),
                )),
                request_id: None,
                client_ip: e.ip.map(str::to_owned),
                user_agent: e.user_agent.map(str::to_owned),
            },
        };
        if let Err(err) = events::record(&self.db, e, now).await {
            tracing::error!(error = %err, event.kind = %kind, "could not record a security event");
        }
        if copy.user.is_some() || copy.workspace.is_some() {
            self.calls.account(copy).await;
        }
    }

    /// Writes every queued capability row now; for a graceful shutdown
    /// (and tests). Rows queued after the call starts may wait for the
    /// next flush.
    pub async fn flush_capability_log(&self) {
        self.calls.flush().await;
    }
}

/// An account event waiting for the workspaces it belongs in.
#[derive(Debug, Clone)]
pub(crate) struct AccountEvent {
    pub user: Option<Uuid>,
    pub workspace: Option<Uuid>,
    pub entry: Entry,
}
