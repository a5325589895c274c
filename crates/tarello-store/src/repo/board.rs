//! Boards (the rest of the work model comes with the work-management issue).

use time::OffsetDateTime;
use uuid::Uuid;

use crate::{StoreError, TenantTx};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Board {
    pub board_id: Uuid,
    pub name: String,
    pub created_at: OffsetDateTime,
}

pub async fn insert(
    tx: &mut TenantTx,
    board_id: Uuid,
    name: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO board (board_id, name, created_at) VALUES ($1, $2, $3)")
        .bind(board_id)
        .bind(name)
        .bind(now)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn list(tx: &mut TenantTx) -> Result<Vec<Board>, StoreError> {
    Ok(
        sqlx::query_as("SELECT board_id, name, created_at FROM board ORDER BY board_id")
            .fetch_all(tx.conn())
            .await?,
    )
}
