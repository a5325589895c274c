-- GET /workspaces/{ws}/boards/{id}: repo::board::view
-- One transaction of tarello-bench mixed's pgbench side (see bench/README.md):
-- the membership check (joined with the bench's id tables so the random
-- ids cost no extra round trip), the tenant transaction (set_config of role
-- and search_path), then the store's statements for this request.
\set n random(1, :ncards)
\set u random(1, 5)
SELECT p.ws_role, p.ws_schema, wu.user_id AS uid, m.role = 'admin' AS sees_all,
       m.active, m.changed_at, p.board_id
  FROM bench_mixed.pick p
  JOIN bench_mixed.ws_user wu ON wu.ws_n = p.ws_n AND wu.k = :u
  JOIN control.membership m ON m.workspace_id = p.ws_id AND m.user_id = wu.user_id
 WHERE p.n = :n \gset
BEGIN;
SELECT set_config('role', :ws_role, true), set_config('search_path', :ws_schema, true),
       set_config('tarello.actor_kind', 'user', true), set_config('tarello.actor_id', :uid, true),
       set_config('tarello.request_id', 'bench', true), set_config('tarello.client_ip', '127.0.0.1', true),
       set_config('tarello.user_agent', 'pgbench', true);
SELECT json_build_object('id', b.board_id, 'name', b.name, 'description', b.description,
  'visibility', b.visibility, 'public_id', b.public_id, 'version', b.version,
  'created_at', b.created_at, 'lists',
  COALESCE((SELECT json_agg(json_build_object('id', l.list_id, 'name', l.name,
    'rank', l.position, 'version', l.version, 'cards',
    COALESCE((SELECT json_agg(json_build_object('id', c.card_id, 'title', c.title, 'rank', c.position,
      'due_date', c.due_date, 'version', c.version, 'tag_ids',
      COALESCE((SELECT json_agg(ct.tag_id ORDER BY ct.tag_id) FROM card_tag ct WHERE ct.card_id = c.card_id), '[]'::json))
      ORDER BY c.position) FROM card c WHERE c.list_id = l.list_id AND NOT c.archived), '[]'::json))
    ORDER BY l.position) FROM list l WHERE l.board_id = b.board_id), '[]'::json)
  )::text FROM board b WHERE b.board_id = :board_id AND (:sees_all::bool OR b.visibility <> 'private' OR EXISTS (SELECT 1 FROM board_member bm
   WHERE bm.board_id = b.board_id AND bm.user_id = :uid::uuid));
COMMIT;
