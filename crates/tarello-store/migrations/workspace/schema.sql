-- The whole current workspace schema, run once when a workspace is created
-- (no replay of history). A test checks that it equals the migrations replayed.
-- No column says which workspace a row belongs to: the schema is the boundary.
-- Positions are rank keys (see tarello-domain::rank) compared byte-wise.
CREATE TABLE board (
    board_id    uuid PRIMARY KEY,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL,
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 10000),
    visibility  text NOT NULL DEFAULT 'workspace'
        CHECK (visibility IN ('private', 'workspace', 'public')),
    -- The random id of the public page; set only while the board is public.
    public_id   text UNIQUE CHECK (public_id ~ '^[A-Za-z0-9_-]{22,64}$'),
    created_by  uuid,
    version     integer NOT NULL DEFAULT 1,
    updated_at  timestamptz,
    CONSTRAINT board_public_id_only_when_public
        CHECK ((visibility = 'public') = (public_id IS NOT NULL))
);

-- Credentials of integrations, Fernet-encrypted under the workspace's data
-- key and bound to (workspace, table, column, row).
CREATE TABLE integration (
    integration_id uuid PRIMARY KEY,
    kind           text NOT NULL CHECK (char_length(kind) BETWEEN 1 AND 64),
    secret         text NOT NULL CHECK (secret LIKE 'f1:%'),
    created_at     timestamptz NOT NULL
);

CREATE TABLE board_member (
    board_id uuid NOT NULL REFERENCES board ON DELETE CASCADE,
    user_id  uuid NOT NULL,
    added_at timestamptz NOT NULL,
    PRIMARY KEY (board_id, user_id)
);
CREATE INDEX board_member_user_idx ON board_member (user_id);

CREATE TABLE list (
    list_id    uuid PRIMARY KEY,
    board_id   uuid NOT NULL REFERENCES board ON DELETE CASCADE,
    name       text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    position   text COLLATE "C" NOT NULL CHECK (char_length(position) BETWEEN 1 AND 512),
    version    integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL,
    updated_at timestamptz,
    UNIQUE (list_id, board_id)
);
CREATE UNIQUE INDEX list_board_position_idx ON list (board_id, position);

CREATE TABLE card (
    card_id     uuid PRIMARY KEY,
    board_id    uuid NOT NULL REFERENCES board ON DELETE CASCADE,
    list_id     uuid NOT NULL,
    title       text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 500),
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 100000),
    due_date    date,
    position    text COLLATE "C" NOT NULL CHECK (char_length(position) BETWEEN 1 AND 512),
    archived    boolean NOT NULL DEFAULT false,
    version     integer NOT NULL DEFAULT 1,
    created_by  uuid,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    FOREIGN KEY (list_id, board_id) REFERENCES list (list_id, board_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX card_list_position_idx ON card (list_id, position);
CREATE INDEX card_board_idx ON card (board_id, card_id);

CREATE TABLE comment (
    comment_id uuid PRIMARY KEY,
    card_id    uuid NOT NULL REFERENCES card ON DELETE CASCADE,
    author_id  uuid NOT NULL,
    body       text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 10000),
    created_at timestamptz NOT NULL,
    updated_at timestamptz
);
CREATE INDEX comment_card_idx ON comment (card_id, comment_id);

CREATE TABLE tag (
    tag_id     uuid PRIMARY KEY,
    name       text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 50),
    color      text NOT NULL DEFAULT '#888888' CHECK (color ~ '^#[0-9a-f]{6}$'),
    created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX tag_name_idx ON tag (lower(name));

CREATE TABLE card_tag (
    card_id  uuid NOT NULL REFERENCES card ON DELETE CASCADE,
    tag_id   uuid NOT NULL REFERENCES tag ON DELETE CASCADE,
    added_at timestamptz NOT NULL,
    PRIMARY KEY (card_id, tag_id)
);
CREATE INDEX card_tag_tag_idx ON card_tag (tag_id);

CREATE TABLE card_viewer (
    card_id  uuid NOT NULL REFERENCES card ON DELETE CASCADE,
    user_id  uuid NOT NULL,
    added_at timestamptz NOT NULL,
    PRIMARY KEY (card_id, user_id)
);

CREATE TABLE time_entry (
    time_entry_id       uuid PRIMARY KEY,
    card_id             uuid NOT NULL REFERENCES card ON DELETE CASCADE,
    author_id           uuid NOT NULL,
    minutes             integer NOT NULL CHECK (minutes BETWEEN 1 AND 1440),
    spent_on            date NOT NULL,
    note                text NOT NULL DEFAULT '' CHECK (char_length(note) <= 1000),
    -- In the workspace's currency, in minor units (cents) per hour.
    billable_rate_cents bigint CHECK (billable_rate_cents BETWEEN 0 AND 100000000),
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz
);
CREATE INDEX time_entry_card_idx ON time_entry (card_id, time_entry_id);

-- Metadata only: the bytes are in the blob store, encrypted with a key of
-- their own that is stored here wrapped by the workspace's data key.
CREATE TABLE attachment (
    attachment_id uuid PRIMARY KEY,
    card_id       uuid NOT NULL REFERENCES card ON DELETE CASCADE,
    uploader_id   uuid NOT NULL,
    filename      text NOT NULL CHECK (char_length(filename) BETWEEN 1 AND 255),
    content_type  text NOT NULL CHECK (char_length(content_type) BETWEEN 1 AND 255),
    size_bytes    bigint NOT NULL CHECK (size_bytes >= 0),
    blob_key      text NOT NULL,
    file_key      text NOT NULL,
    created_at    timestamptz NOT NULL
);
CREATE INDEX attachment_card_idx ON attachment (card_id, attachment_id);

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
