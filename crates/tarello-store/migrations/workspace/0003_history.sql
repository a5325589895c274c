-- Change history (AUD-1, AUD-2): one row per insert, update and delete of
-- the audited tables, written by a trigger in the same transaction as the
-- change, so no code path (not even raw SQL inside a tenant transaction)
-- can change a row without leaving its event. The actor comes from
-- transaction-local settings the tenant transaction sets; a change with no
-- actor is refused. Functions qualify tables with TG_TABLE_SCHEMA (Citus
-- runs triggers on workers without our search_path).
CREATE TABLE history (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor_kind  text NOT NULL CHECK (actor_kind IN ('user', 'token', 'system', 'public')),
    actor_id    uuid,
    action      text NOT NULL,
    entity_type text NOT NULL,
    entity_id   uuid NOT NULL,
    card_id     uuid,
    board_id    uuid,
    before      jsonb,
    after       jsonb,
    request_id  text,
    client_ip   text,
    user_agent  text
);
CREATE INDEX history_entity_idx ON history (entity_type, entity_id, seq);
CREATE INDEX history_card_idx ON history (card_id, seq) WHERE card_id IS NOT NULL;
CREATE INDEX history_at_idx ON history (at);

-- TG_ARGV: [0] entity type, [1] id column.
CREATE FUNCTION history_capture() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    kind   text := nullif(current_setting('tarello.actor_kind', true), '');
    old_j  jsonb;
    new_j  jsonb;
    row_j  jsonb;
    action text;
    etype  text := TG_ARGV[0];
    eid    uuid;
    k      text;
BEGIN
    IF kind IS NULL THEN
        RAISE EXCEPTION 'a change to % without an actor', TG_TABLE_NAME
            USING ERRCODE = 'TA001', HINT = 'changes go through a tenant transaction that names its actor';
    END IF;
    IF TG_OP <> 'INSERT' THEN old_j := to_jsonb(OLD); END IF;
    IF TG_OP <> 'DELETE' THEN new_j := to_jsonb(NEW); END IF;
    row_j := coalesce(new_j, old_j);
    -- Key material and storage locations are never copied into history.
    FOREACH k IN ARRAY ARRAY['file_key', 'blob_key', 'secret'] LOOP
        IF old_j ? k THEN old_j := jsonb_set(old_j, ARRAY[k], '"***"'); END IF;
        IF new_j ? k THEN new_j := jsonb_set(new_j, ARRAY[k], '"***"'); END IF;
    END LOOP;
    IF TG_OP = 'UPDATE' THEN
        -- Only what changed, before and after.
        SELECT jsonb_object_agg(o.key, o.value), jsonb_object_agg(o.key, new_j -> o.key)
          INTO old_j, new_j
          FROM jsonb_each(old_j) o
         WHERE o.value IS DISTINCT FROM new_j -> o.key;
        IF old_j IS NULL THEN RETURN NULL; END IF;
    END IF;
    IF etype IN ('card.tag', 'card.viewer') THEN
        -- Tag and viewer changes are events of their own, on the card.
        action := etype || CASE TG_OP WHEN 'INSERT' THEN '.add' ELSE '.remove' END;
        etype := 'card';
        eid := (row_j ->> 'card_id')::uuid;
    ELSE
        action := lower(TG_OP);
        eid := (row_j ->> TG_ARGV[1])::uuid;
    END IF;
    EXECUTE format(
        'INSERT INTO %I.history (at, actor_kind, actor_id, action, entity_type, entity_id, card_id, '
        'board_id, before, after, request_id, client_ip, user_agent) '
        'VALUES (now(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)', TG_TABLE_SCHEMA)
    USING kind, nullif(current_setting('tarello.actor_id', true), '')::uuid, action, etype, eid,
          CASE WHEN etype = 'card' THEN eid ELSE (row_j ->> 'card_id')::uuid END,
          (row_j ->> 'board_id')::uuid, old_j, new_j,
          nullif(current_setting('tarello.request_id', true), ''),
          nullif(current_setting('tarello.client_ip', true), ''),
          nullif(current_setting('tarello.user_agent', true), '');
    RETURN NULL;
END
$fn$;

-- History is append-only: no update ever; delete only by the retention
-- purge (which sets tarello.purge in its own transaction).
CREATE FUNCTION history_guard() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('tarello.purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'history is append-only (% refused)', TG_OP USING ERRCODE = 'TA002';
END
$fn$;

CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON history
    FOR EACH ROW EXECUTE FUNCTION history_guard();
CREATE TRIGGER history_no_truncate BEFORE TRUNCATE ON history
    FOR EACH STATEMENT EXECUTE FUNCTION history_guard();

CREATE TRIGGER board_history AFTER INSERT OR UPDATE OR DELETE ON board
    FOR EACH ROW EXECUTE FUNCTION history_capture('board', 'board_id');
CREATE TRIGGER board_member_history AFTER INSERT OR UPDATE OR DELETE ON board_member
    FOR EACH ROW EXECUTE FUNCTION history_capture('board_member', 'user_id');
CREATE TRIGGER list_history AFTER INSERT OR UPDATE OR DELETE ON list
    FOR EACH ROW EXECUTE FUNCTION history_capture('list', 'list_id');
CREATE TRIGGER card_history AFTER INSERT OR UPDATE OR DELETE ON card
    FOR EACH ROW EXECUTE FUNCTION history_capture('card', 'card_id');
CREATE TRIGGER comment_history AFTER INSERT OR UPDATE OR DELETE ON comment
    FOR EACH ROW EXECUTE FUNCTION history_capture('comment', 'comment_id');
CREATE TRIGGER tag_history AFTER INSERT OR UPDATE OR DELETE ON tag
    FOR EACH ROW EXECUTE FUNCTION history_capture('tag', 'tag_id');
CREATE TRIGGER card_tag_history AFTER INSERT OR DELETE ON card_tag
    FOR EACH ROW EXECUTE FUNCTION history_capture('card.tag', 'tag_id');
CREATE TRIGGER card_viewer_history AFTER INSERT OR DELETE ON card_viewer
    FOR EACH ROW EXECUTE FUNCTION history_capture('card.viewer', 'user_id');
CREATE TRIGGER time_entry_history AFTER INSERT OR UPDATE OR DELETE ON time_entry
    FOR EACH ROW EXECUTE FUNCTION history_capture('time_entry', 'time_entry_id');
CREATE TRIGGER attachment_history AFTER INSERT OR UPDATE OR DELETE ON attachment
    FOR EACH ROW EXECUTE FUNCTION history_capture('attachment', 'attachment_id');
