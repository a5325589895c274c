-- GET /workspaces/{ws}/cards/{id}: repo::card::view (first 50 comments)
-- One transaction of tarello-bench mixed's pgbench side (see bench/README.md):
-- the membership check (joined with the bench's id tables so the random
-- ids cost no extra round trip), the tenant transaction (set_config of role
-- and search_path), then the store's statements for this request.
\set n random(1, :ncards)
\set u random(1, 5)
SELECT p.ws_role, p.ws_schema, wu.user_id AS uid, m.role = 'admin' AS sees_all,
       m.active, m.changed_at, p.card_id
  FROM bench_mixed.pick p
  JOIN bench_mixed.ws_user wu ON wu.ws_n = p.ws_n AND wu.k = :u
  JOIN control.membership m ON m.workspace_id = p.ws_id AND m.user_id = wu.user_id
 WHERE p.n = :n \gset
BEGIN;
SELECT set_config('role', :ws_role, true), set_config('search_path', :ws_schema, true),
       set_config('tarello.actor_kind', 'user', true), set_config('tarello.actor_id', :uid, true),
       set_config('tarello.request_id', 'bench', true), set_config('tarello.client_ip', '127.0.0.1', true),
       set_config('tarello.user_agent', 'pgbench', true);
SELECT json_build_object('id', c.card_id, 'board_id', c.board_id, 'list_id', c.list_id,
  'title', c.title, 'description', c.description, 'due_date', c.due_date,
  'rank', c.position, 'archived', c.archived, 'version', c.version,
  'created_by', c.created_by, 'created_at', c.created_at, 'updated_at', c.updated_at,
  'tag_ids', COALESCE((SELECT json_agg(ct.tag_id ORDER BY ct.tag_id) FROM card_tag ct WHERE ct.card_id = c.card_id), '[]'::json),
  'viewer_ids', COALESCE((SELECT json_agg(cv.user_id ORDER BY cv.user_id) FROM card_viewer cv WHERE cv.card_id = c.card_id), '[]'::json),
  'comment_count', (SELECT count(*) FROM comment m WHERE m.card_id = c.card_id),
  'comments', COALESCE((SELECT json_agg(json_build_object('id', m.comment_id, 'card_id', m.card_id,
     'author_id', m.author_id, 'body', m.body, 'created_at', m.created_at, 'updated_at', m.updated_at)
     ORDER BY m.comment_id) FROM (SELECT * FROM comment WHERE card_id = c.card_id ORDER BY comment_id LIMIT 50) m), '[]'::json)
  )::text, c.version FROM card c JOIN board b ON b.board_id = c.board_id
 WHERE c.card_id = :card_id AND (:sees_all::bool OR b.visibility <> 'private' OR EXISTS (SELECT 1 FROM board_member bm
   WHERE bm.board_id = b.board_id AND bm.user_id = :uid::uuid));
COMMIT;
