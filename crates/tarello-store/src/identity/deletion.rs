//! Account deletion: one transaction that refuses while the account is the
//! last active admin of any workspace (the workspaces' rows are locked in
//! id order first — the same lock `members::change` takes — so a
//! concurrent demotion cannot slip between the check and the delete), then
//! removes memberships, sessions and second-factor data and overwrites the
//! personal fields. The row stays so content keeps an author id that now
//! names a deleted user.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Actor, Db, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deletion {
    Done,
    /// Slugs of the workspaces that would be left without an active admin.
    LastAdmin(Vec<String>),
}

pub async fn delete_account(
    db: &Db,
    user_id: Uuid,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<Deletion, StoreError> {
    let mut tx = db.app().begin().await?;
    crate::tenant::name_actor(&mut tx, actor).await?;
    sqlx::query(
        "SELECT 1 FROM control.workspace WHERE workspace_id IN \
         (SELECT workspace_id FROM control.membership WHERE user_id = $1) \
         ORDER BY workspace_id FOR UPDATE",
    )
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    let stranded: Vec<String> = sqlx::query_scalar(
        "SELECT w.slug FROM control.membership m JOIN control.workspace w USING (workspace_id) \
         WHERE m.user_id = $1 AND m.role = 'admin' AND m.active AND NOT EXISTS ( \
           SELECT 1 FROM control.membership o WHERE o.workspace_id = m.workspace_id \
           AND o.user_id <> $1 AND o.role = 'admin' AND o.active) ORDER BY w.slug",
    )
    .bind(user_id)
    .fetch_all(&mut *tx)
    .await?;
    if !stranded.is_empty() {
        return Ok(Deletion::LastAdmin(stranded));
    }
    for q in [
        "DELETE FROM control.membership WHERE user_id = $1",
        "DELETE FROM control.session WHERE user_id = $1",
        "DELETE FROM control.recovery_code WHERE user_id = $1",
    ] {
        sqlx::query(q).bind(user_id).execute(&mut *tx).await?;
    }
    sqlx::query(
        "UPDATE control.user_account SET email = 'deleted-' || replace($1::text, '-', '') || '@deleted.invalid', \
         name = 'Deleted user', password_hash = '$argon2id$deleted', totp_secret = NULL, \
         totp_enabled = false, totp_last_step = NULL, deleted_at = $2 WHERE user_id = $1",
    )
    .bind(user_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Deletion::Done)
}
