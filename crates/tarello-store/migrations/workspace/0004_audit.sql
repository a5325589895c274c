-- Tamper evidence (AUD-4) and the capability log (AUD-3).
--
-- History rows are chained after commit by a sealer, not by the writers:
-- a chain built inside every writing transaction would serialise all
-- writes of a workspace on its head. The sealer takes committed events in
-- sequence order, appends each to the chain (HMAC of the previous link and
-- the event, keyed by a key derived from the workspace data key, which
-- lives outside the database) and records a checkpoint with its snapshot.
-- `tx` tells an event that committed late (its transaction was still
-- running at the last checkpoint) from one inserted afterwards.
ALTER TABLE history ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX history_tx_idx ON history (tx);

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

CREATE OR REPLACE FUNCTION history_guard() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('tarello.purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'TA002';
END
$fn$;

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
