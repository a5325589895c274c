//! A board's whole content as one JSON document built by the database:
//! the board, its lists, every card (archived too), and per card its
//! comments, tags, viewers, time entries and attachment metadata (never
//! the file keys or blob locations).

use tarello_domain::policy::{Action, Grant};
use uuid::Uuid;

use super::scope::{require, visible};
use crate::{StoreError, TenantTx};

const EXPORT: &str = concat!(
    "SELECT json_build_object(\
       'format', 'tarello.board/1', \
       'board', json_build_object('id', b.board_id, 'name', b.name, 'description', b.description, \
          'visibility', b.visibility, 'created_at', b.created_at), \
       'lists', COALESCE((SELECT json_agg(json_build_object('id', l.list_id, 'name', l.name, \
          'rank', l.position) ORDER BY l.position) FROM list l WHERE l.board_id = b.board_id), '[]'::json), \
       'tags', COALESCE((SELECT json_agg(json_build_object('id', t.tag_id, 'name', t.name, 'color', t.color) \
          ORDER BY t.name) FROM tag t WHERE EXISTS (SELECT 1 FROM card_tag ct JOIN card c ON c.card_id = ct.card_id \
          WHERE ct.tag_id = t.tag_id AND c.board_id = b.board_id)), '[]'::json), \
       'members', COALESCE((SELECT json_agg(bm.user_id ORDER BY bm.user_id) FROM board_member bm \
          WHERE bm.board_id = b.board_id), '[]'::json), \
       'cards', COALESCE((SELECT json_agg(json_build_object(\
          'id', c.card_id, 'list_id', c.list_id, 'title', c.title, 'description', c.description, \
          'due_date', c.due_date, 'rank', c.position, 'archived', c.archived, 'version', c.version, \
          'created_by', c.created_by, 'created_at', c.created_at, 'updated_at', c.updated_at, \
          'tag_ids', COALESCE((SELECT json_agg(ct.tag_id ORDER BY ct.tag_id) FROM card_tag ct \
             WHERE ct.card_id = c.card_id), '[]'::json), \
          'viewer_ids', COALESCE((SELECT json_agg(cv.user_id ORDER BY cv.user_id) FROM card_viewer cv \
             WHERE cv.card_id = c.card_id), '[]'::json), \
          'comments', COALESCE((SELECT json_agg(json_build_object('id', m.comment_id, 'author_id', m.author_id, \
             'body', m.body, 'created_at', m.created_at, 'updated_at', m.updated_at) ORDER BY m.comment_id) \
             FROM comment m WHERE m.card_id = c.card_id), '[]'::json), \
          'time_entries', COALESCE((SELECT json_agg(json_build_object('id', e.time_entry_id, \
             'author_id', e.author_id, 'minutes', e.minutes, 'spent_on', e.spent_on, 'note', e.note, \
             'billable_rate_cents', e.billable_rate_cents, 'created_at', e.created_at) \
             ORDER BY e.time_entry_id) FROM time_entry e WHERE e.card_id = c.card_id), '[]'::json), \
          'attachments', COALESCE((SELECT json_agg(json_build_object('id', a.attachment_id, \
             'filename', a.filename, 'content_type', a.content_type, 'size', a.size_bytes, \
             'uploader_id', a.uploader_id, 'created_at', a.created_at) ORDER BY a.attachment_id) \
             FROM attachment a WHERE a.card_id = c.card_id), '[]'::json)\
          ) ORDER BY c.list_id, c.position) FROM card c WHERE c.board_id = b.board_id), '[]'::json)\
     )::text FROM board b WHERE b.board_id = $3 AND ",
    visible!()
);

/// The export document; `None` when the board is not visible.
pub async fn board(
    tx: &mut TenantTx,
    grant: &Grant,
    board_id: Uuid,
) -> Result<Option<String>, StoreError> {
    require(grant, Action::BoardExport)?;
    Ok(sqlx::query_scalar(EXPORT)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(board_id)
        .fetch_optional(tx.conn())
        .await?)
}
