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

use crate::{Db, StoreError};

#[derive(Debug)]
pub struct TenantTx {
    tx: Transaction<'static, Postgres>,
    workspace: WorkspaceId,
}

impl TenantTx {
    /// Opens a transaction confined to `workspace`'s schema and role.
    pub async fn begin(db: &Db, workspace: WorkspaceId) -> Result<TenantTx, StoreError> {
        // Both names are `[a-z0-9_]` made from a UUID (see WorkspaceId), so
        // formatting them into the statement cannot inject anything.
        let statement = format!(
            "BEGIN; SET LOCAL ROLE {}; SET LOCAL search_path TO {}",
            workspace.role_name(),
            workspace.schema_name()
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
