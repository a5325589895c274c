-- Membership changes are history of the workspace they belong to (AUD-1).
-- Memberships live in control, so this trigger writes the event into the
-- workspace's own history table, in the same transaction as the change and
-- with the actor the transaction names (a change without one is refused,
-- as for the workspace tables). SECURITY DEFINER: the application role has
-- no right on any workspace schema of its own; the function (owned by the
-- migrator, who owns those schemas) can write only this one statement.
CREATE FUNCTION control.membership_history() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    kind   text := nullif(current_setting('tarello.actor_kind', true), '');
    ws     uuid;
    uid    uuid;
    old_j  jsonb;
    new_j  jsonb;
    action text := lower(TG_OP);
    target text;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        ws := OLD.workspace_id; uid := OLD.user_id;
        old_j := jsonb_build_object('role', OLD.role, 'active', OLD.active);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        ws := NEW.workspace_id; uid := NEW.user_id;
        new_j := jsonb_build_object('role', NEW.role, 'active', NEW.active);
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF old_j = new_j THEN RETURN NULL; END IF;
        SELECT jsonb_object_agg(o.key, o.value), jsonb_object_agg(o.key, new_j -> o.key)
          INTO old_j, new_j
          FROM jsonb_each(old_j) o
         WHERE o.value IS DISTINCT FROM new_j -> o.key;
    END IF;
    target := 't_' || replace(ws::text, '-', '');
    -- A workspace being erased drops its schema with its history.
    IF to_regclass(quote_ident(target) || '.history') IS NULL THEN
        RETURN NULL;
    END IF;
    IF kind IS NULL THEN
        RAISE EXCEPTION 'a change to membership without an actor'
            USING ERRCODE = 'TA001', HINT = 'changes go through a transaction that names its actor';
    END IF;
    EXECUTE format(
        'INSERT INTO %I.history (at, actor_kind, actor_id, action, entity_type, entity_id, before, after, '
        'request_id, client_ip, user_agent) VALUES (now(), $1, $2, $3, ''member'', $4, $5, $6, $7, $8, $9)', target)
    USING kind, nullif(current_setting('tarello.actor_id', true), '')::uuid, action, uid, old_j, new_j,
          nullif(current_setting('tarello.request_id', true), ''),
          nullif(current_setting('tarello.client_ip', true), ''),
          nullif(current_setting('tarello.user_agent', true), '');
    RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION control.membership_history() FROM PUBLIC;

CREATE TRIGGER membership_history AFTER INSERT OR UPDATE OR DELETE ON control.membership
    FOR EACH ROW EXECUTE FUNCTION control.membership_history();
