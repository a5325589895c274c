-- POST /workspaces/{ws}/cards/{id}/comments: repo::comment::create
-- One transaction of tarello-bench mixed's pgbench side (see bench/README.md):
-- the membership check (joined with the bench's id tables so the random
-- ids cost no extra round trip), the tenant transaction (set_config of role
-- and search_path), then the store's statements for this request.
\set n random(1, :ncards)
\set u random(1, 4)
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
INSERT INTO comment AS x (comment_id, card_id, author_id, body, created_at)
SELECT gen_random_uuid(), c.card_id, :uid::uuid, 'bench comment'::text, now()
  FROM card c JOIN board b ON b.board_id = c.board_id WHERE c.card_id = :card_id AND (:sees_all::bool OR b.visibility <> 'private' OR EXISTS (SELECT 1 FROM board_member bm
   WHERE bm.board_id = b.board_id AND bm.user_id = :uid::uuid))
 RETURNING x.comment_id, x.card_id, x.author_id, x.body, x.created_at, x.updated_at;
COMMIT;
