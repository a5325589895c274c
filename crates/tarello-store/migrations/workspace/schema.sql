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
    user_agent  text,
    -- The writing transaction: tells a late commit from a later insert (see the sealer).
    tx          xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX history_tx_idx ON history (tx);
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
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'TA002';
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

-- Tamper evidence (AUD-4), the capability log (AUD-3) and the purge (AUD-6):
-- see migrations/workspace/0004_audit.sql.
CREATE TABLE history_seal (
    pos         bigint PRIMARY KEY,
    seq         bigint NOT NULL UNIQUE,
    hash        bytea NOT NULL CHECK (octet_length(hash) = 32),
    key_version integer NOT NULL
);

CREATE TABLE history_checkpoint (
    checkpoint_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('seal', 'purge')),
    at            timestamptz NOT NULL,
    -- seal: the last position sealed; purge: the last position removed.
    pos           bigint NOT NULL,
    hash          bytea NOT NULL CHECK (octet_length(hash) = 32),
    max_seq       bigint NOT NULL,
    -- seal: the sealer's snapshot; complete = every event visible in it is sealed
    -- (the batch limit left none behind).
    snapshot      pg_snapshot,
    complete      boolean NOT NULL,
    key_version   integer NOT NULL,
    mac           bytea NOT NULL CHECK (octet_length(mac) = 32)
);
CREATE INDEX history_checkpoint_kind_idx ON history_checkpoint (kind, complete, checkpoint_id);

-- Capability log (AUD-3): every API call that reached the workspace,
-- allowed or denied, and the account security events of its members.
CREATE TABLE capability_log (
    seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at             timestamptz NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('call', 'account')),
    principal_kind text NOT NULL CHECK (principal_kind IN ('user', 'token', 'anonymous')),
    principal_id   uuid,
    lane           text CHECK (lane IN ('human', 'machine')),
    role           text,
    action         text,
    scope          text,
    decision       text NOT NULL CHECK (decision IN ('allowed', 'denied')),
    status         smallint,
    method         text,
    route          text,
    payload        jsonb,
    request_id     text,
    client_ip      text,
    user_agent     text
);
CREATE INDEX capability_log_at_idx ON capability_log (at);
CREATE INDEX capability_log_principal_idx ON capability_log (principal_id, seq);

CREATE TRIGGER history_seal_append_only BEFORE UPDATE OR DELETE ON history_seal
    FOR EACH ROW EXECUTE FUNCTION history_guard();
CREATE TRIGGER history_seal_no_truncate BEFORE TRUNCATE ON history_seal
    FOR EACH STATEMENT EXECUTE FUNCTION history_guard();
CREATE TRIGGER history_checkpoint_append_only BEFORE UPDATE OR DELETE ON history_checkpoint
    FOR EACH ROW EXECUTE FUNCTION history_guard();
CREATE TRIGGER history_checkpoint_no_truncate BEFORE TRUNCATE ON history_checkpoint
    FOR EACH STATEMENT EXECUTE FUNCTION history_guard();
CREATE TRIGGER capability_log_append_only BEFORE UPDATE OR DELETE ON capability_log
    FOR EACH ROW EXECUTE FUNCTION history_guard();
CREATE TRIGGER capability_log_no_truncate BEFORE TRUNCATE ON capability_log
    FOR EACH STATEMENT EXECUTE FUNCTION history_guard();

-- The retention purge (AUD-6), the only way rows leave these tables. It
-- removes at most `p_limit` sealed events older than `p_before` from the
-- start of the chain (and capability rows older than `p_before`), and
-- returns the last removed position and its link, which the caller
-- records as a purge checkpoint so `audit verify` starts from there. It
-- refuses to remove anything younger than the shortest plan retention.
CREATE FUNCTION history_purge(p_before timestamptz, p_limit integer)
    RETURNS TABLE (last_pos bigint, last_hash bytea, last_seq bigint, events bigint, calls bigint)
    LANGUAGE plpgsql AS $fn$
DECLARE
    upto  bigint;
    young bigint;
BEGIN
    IF p_before > now() - interval '90 days' THEN
        RAISE EXCEPTION 'history younger than 90 days is never purged' USING ERRCODE = 'TA003';
    END IF;
    PERFORM set_config('tarello.purge', 'on', true);
    -- The chain is cut only below its first event that is still young.
    SELECT s.pos INTO young FROM history_seal s JOIN history h USING (seq)
     WHERE h.at >= p_before ORDER BY s.pos LIMIT 1;
    SELECT max(x.pos) INTO upto FROM (
        SELECT s.pos FROM history_seal s WHERE s.pos < coalesce(young, 9223372036854775807)
         ORDER BY s.pos LIMIT p_limit) x;
    events := 0;
    IF upto IS NOT NULL THEN
        SELECT s.pos, s.hash, s.seq INTO last_pos, last_hash, last_seq FROM history_seal s WHERE s.pos = upto;
        WITH gone AS (DELETE FROM history_seal WHERE pos <= upto RETURNING seq)
        DELETE FROM history h USING gone WHERE h.seq = gone.seq;
        GET DIAGNOSTICS events = ROW_COUNT;
        -- Checkpoints inside the removed part are implied by the new purge
        -- checkpoint, except the last seal (its snapshot still counts).
        DELETE FROM history_checkpoint c WHERE c.pos <= upto AND c.checkpoint_id IS DISTINCT FROM
            (SELECT max(checkpoint_id) FROM history_checkpoint WHERE kind = 'seal');
    END IF;
    WITH old AS (SELECT seq FROM capability_log WHERE at < p_before ORDER BY seq LIMIT p_limit)
    DELETE FROM capability_log c USING old WHERE c.seq = old.seq;
    GET DIAGNOSTICS calls = ROW_COUNT;
    PERFORM set_config('tarello.purge', 'off', true);
    RETURN NEXT;
END
$fn$;
REVOKE ALL ON FUNCTION history_purge(timestamptz, integer) FROM PUBLIC;
