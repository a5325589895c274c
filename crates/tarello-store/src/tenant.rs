//! The tenant transaction: the only way to reach a workspace's tables.
//!
//! `BEGIN; SET LOCAL ROLE <workspace role>; SET LOCAL search_path TO
//! <workspace schema>` goes out as one simple-protocol message (one round
//! trip). Both settings are transaction-scoped: COMMIT, ROLLBACK, or a
//! dropped (hence rolled back) transaction leaves the pooled connection with
//! the app role's defaults, under which no tenant table resolves. Nothing
//! about the tenant is cached on the connection, so `ROLLBACK TO SAVEPOINT`
//! cannot leave a stale "already set" flag behind.

use sqlx::{PgConnection, Postgres, Transaction};
use tarello_domain::WorkspaceId;
use uuid::Uuid;

use crate::{Db, StoreError};

/// Who is acting, for the history the audited tables' triggers write. It is
/// set with `SET LOCAL` in the same round trip as the role and path; a
/// change without it is refused by the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    kind: &'static str,
    id: Option<Uuid>,
    request_id: String,
    client_ip: String,
    user_agent: String,
}

impl Actor {
    /// A person (a user id).
    pub fn user(id: Uuid) -> Actor {
        Actor::new("user", Some(id))
    }
    /// A machine token (its id).
    pub fn token(id: Uuid) -> Actor {
        Actor::new("token", Some(id))
    }
    /// Tarello itself: migrations, key rotation, jobs.
    pub fn system() -> Actor {
        Actor::new("system", None)
    }
    /// A visitor with no login (reads public boards only).
    pub fn public() -> Actor {
        Actor::new("public", None)
    }

    fn new(kind: &'static str, id: Option<Uuid>) -> Actor {
        Actor {
            kind,
            id,
            request_id: String::new(),
            client_ip: String::new(),
            user_agent: String::new(),
        }
    }

    /// Adds the request's id, client address and user agent.
    pub fn with_request(mut self, request_id: &str, client_ip: &str, user_agent: &str) -> Actor {
        self.request_id = literal_safe(request_id, 100);
        self.client_ip = literal_safe(client_ip, 64);
        self.user_agent = literal_safe(user_agent, 200);
        self
    }

    /// The `SET LOCAL` statements (values are `literal_safe`).
    fn settings(&self) -> String {
        format!(
            "SET LOCAL tarello.actor_kind = '{}'; SET LOCAL tarello.actor_id = '{}'; \
             SET LOCAL tarello.request_id = '{}'; SET LOCAL tarello.client_ip = '{}'; \
             SET LOCAL tarello.user_agent = '{}'",
            self.kind,
            self.id.map(|u| u.to_string()).unwrap_or_default(),
            self.request_id,
            self.client_ip,
            self.user_agent
        )
    }
}

/// Request metadata goes into a SQL literal: keep a conservative set of
/// printable characters (no quote, no backslash) and cut to `max`, so no
/// value can end the literal. Others become `_`.
/// Names the actor of a control-plane transaction whose writes are audited
/// (memberships): the same settings a tenant transaction sets.
pub(crate) async fn name_actor(conn: &mut PgConnection, actor: &Actor) -> Result<(), StoreError> {
    sqlx::query(
        "SELECT set_config('tarello.actor_kind', $1, true), set_config('tarello.actor_id', $2, true), \
         set_config('tarello.request_id', $3, true), set_config('tarello.client_ip', $4, true), \
         set_config('tarello.user_agent', $5, true)",
    )
    .bind(actor.kind)
    .bind(actor.id.map(|u| u.to_string()).unwrap_or_default())
    .bind(&actor.request_id)
    .bind(&actor.client_ip)
    .bind(&actor.user_agent)
    .execute(conn)
    .await?;
    Ok(())
}

fn literal_safe(v: &str, max: usize) -> String {
    v.chars()
        .take(max)
        .map(|c| {
            if c.is_ascii_alphanumeric() || " .,:;/()[]+-_=@*!?#&%~".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[derive(Debug)]
pub struct TenantTx {
    tx: Transaction<'static, Postgres>,
    workspace: WorkspaceId,
}

impl TenantTx {
    /// Opens a transaction confined to `workspace`'s schema and role, on
    /// behalf of `actor`.
    pub async fn begin(
        db: &Db,
        workspace: WorkspaceId,
        actor: &Actor,
    ) -> Result<TenantTx, StoreError> {
        // Both names are `[a-z0-9_]` made from a UUID (see WorkspaceId), so
        // formatting them into the statement cannot inject anything; the
        // actor's values are `literal_safe`.
        let statement = format!(
            "BEGIN; SET LOCAL ROLE {}; SET LOCAL search_path TO {}; {}",
            workspace.role_name(),
            workspace.schema_name(),
            actor.settings()
        );
        match db.app().begin_with(statement).await {
            Ok(tx) => Ok(TenantTx { tx, workspace }),
            // 22023: role does not exist; 42501: not a member of it.
            Err(sqlx::Error::Database(e))
                if matches!(e.code().as_deref(), Some("22023" | "42501" | "42704")) =>
            {
                Err(StoreError::UnknownWorkspace(workspace.to_string()))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub fn workspace(&self) -> WorkspaceId {
        self.workspace
    }

    /// The connection, for repositories in this crate only.
    pub(crate) fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), StoreError> {
        self.tx.rollback().await?;
        Ok(())
    }
}

#[cfg(test)]
mod literal_tests {
    use super::*;

    #[test]
    fn request_metadata_cannot_end_the_literal() {
        let a =
            Actor::user(Uuid::nil()).with_request("r'1", "1.2.3.4", "x'; DROP TABLE card; --\\");
        let s = a.settings();
        assert!(!s.contains("x'"), "{s}");
        assert!(!s.contains('\\'), "{s}");
        assert_eq!(s.matches('\'').count(), 10, "{s}");
    }
}
