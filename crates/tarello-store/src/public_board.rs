//! The public-board directory in control: which workspace a public page
//! lives in. The board itself (and whether it is still public) is read in
//! that workspace's tenant transaction.

use tarello_domain::WorkspaceId;
use uuid::Uuid;

use crate::{Db, StoreError};

pub async fn publish(
    db: &Db,
    ws: WorkspaceId,
    board_id: Uuid,
    public_id: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO control.public_board (public_id, workspace_id, board_id) VALUES ($1, $2, $3) \
         ON CONFLICT (workspace_id, board_id) DO UPDATE SET public_id = EXCLUDED.public_id",
    )
    .bind(public_id)
    .bind(ws.0)
    .bind(board_id)
    .execute(db.app())
    .await?;
    Ok(())
}

pub async fn unpublish(db: &Db, ws: WorkspaceId, board_id: Uuid) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM control.public_board WHERE workspace_id = $1 AND board_id = $2")
        .bind(ws.0)
        .bind(board_id)
        .execute(db.app())
        .await?;
    Ok(())
}

pub async fn find(db: &Db, public_id: &str) -> Result<Option<WorkspaceId>, StoreError> {
    let ws: Option<Uuid> =
        sqlx::query_scalar("SELECT workspace_id FROM control.public_board WHERE public_id = $1")
            .bind(public_id)
            .fetch_optional(db.app())
            .await?;
    Ok(ws.map(WorkspaceId))
}
