-- PATCH /workspaces/{ws}/cards/{id} {version, list_id}: repo::card::update (move to the end of a list of the same board)
-- One transaction of tarello-bench mixed's pgbench side (see bench/README.md):
-- the membership check (joined with the bench's id tables so the random
-- ids cost no extra round trip), the tenant transaction (set_config of role
-- and search_path), then the store's statements for this request.
\set n random(1, :ncards)
\set u random(1, 4)
\set li random(1, :nlists)
SELECT p.ws_role, p.ws_schema, wu.user_id AS uid, m.role = 'admin' AS sees_all,
       m.active, m.changed_at, p.card_id, bl.list_id
  FROM bench_mixed.pick p
  JOIN bench_mixed.ws_user wu ON wu.ws_n = p.ws_n AND wu.k = :u
  JOIN control.membership m ON m.workspace_id = p.ws_id AND m.user_id = wu.user_id
  JOIN bench_mixed.board_list bl ON bl.board_id = p.board_id AND bl.k = :li
 WHERE p.n = :n \gset
BEGIN;
SELECT set_config('role', :ws_role, true), set_config('search_path', :ws_schema, true),
       set_config('tarello.actor_kind', 'user', true), set_config('tarello.actor_id', :uid, true),
       set_config('tarello.request_id', 'bench', true), set_config('tarello.client_ip', '127.0.0.1', true),
       set_config('tarello.user_agent', 'pgbench', true);
-- find(lock): the card, locked; the server compares its version here
SELECT c.card_id, c.board_id, c.list_id, c.title, c.description, c.due_date,
       c.position, c.archived, c.version, c.created_by, c.created_at, c.updated_at
  FROM card c JOIN board b ON b.board_id = c.board_id
 WHERE c.card_id = :card_id AND (:sees_all::bool OR b.visibility <> 'private' OR EXISTS (SELECT 1 FROM board_member bm
   WHERE bm.board_id = b.board_id AND bm.user_id = :uid::uuid)) FOR UPDATE OF c;
-- lock_list (target)
SELECT l.board_id FROM list l JOIN board b ON b.board_id = l.board_id
 WHERE l.list_id = :list_id AND (:sees_all::bool OR b.visibility <> 'private' OR EXISTS (SELECT 1 FROM board_member bm
   WHERE bm.board_id = b.board_id AND bm.user_id = :uid::uuid)) FOR UPDATE OF l;
-- repo::card::rank_at, wrapped: the server computes the key between lo and
-- hi in Rust (rank::between); here the key after lo is lo || 'V' (hi is
-- always open: new and moved cards go to the end of their list).
SELECT COALESCE(r.lo, '') || 'V' AS new_key FROM (
  WITH hi AS (SELECT position FROM card WHERE list_id = :list_id
    AND card_id IS DISTINCT FROM :card_id::uuid AND NOT archived ORDER BY position OFFSET 9223372036854775807 LIMIT 1)
  SELECT (SELECT max(position) FROM card WHERE list_id = :list_id
    AND card_id IS DISTINCT FROM :card_id::uuid
    AND (NOT EXISTS (SELECT 1 FROM hi) OR position < (SELECT position FROM hi))) AS lo,
    (SELECT position FROM hi) AS hi) r \gset
UPDATE card c SET title = COALESCE(NULL::text, c.title), description = COALESCE(NULL::text, c.description),
  due_date = CASE WHEN false THEN NULL::date ELSE c.due_date END, archived = COALESCE(NULL::bool, c.archived),
  list_id = :list_id, position = COALESCE(:new_key, c.position), version = c.version + 1, updated_at = now()
 WHERE c.card_id = :card_id RETURNING c.card_id, c.board_id, c.list_id, c.title, c.description, c.due_date,
       c.position, c.archived, c.version, c.created_by, c.created_at, c.updated_at;
COMMIT;
