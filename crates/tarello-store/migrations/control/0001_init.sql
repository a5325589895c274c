-- Control plane: global data. Nothing here references into a workspace schema
-- and no workspace schema references into here (Citus-compatible layout).
CREATE TABLE control.workspace (
    workspace_id   uuid PRIMARY KEY,
    slug           text NOT NULL UNIQUE,
    name           text NOT NULL,
    schema_name    text NOT NULL UNIQUE CHECK (schema_name ~ '^t_[0-9a-f]{32}$'),
    role_name      text NOT NULL UNIQUE CHECK (role_name ~ '^tr_[0-9a-f]{32}$'),
    -- The per-workspace migration record: the version its schema is at.
    schema_version integer NOT NULL,
    created_at     timestamptz NOT NULL
);

-- One data key per workspace and version, stored only wrapped by a KEK
-- that lives outside the database. kek_id says which KEK wrapped it.
CREATE TABLE control.workspace_key (
    workspace_id uuid NOT NULL REFERENCES control.workspace ON DELETE CASCADE,
    version      integer NOT NULL CHECK (version > 0),
    kek_id       text NOT NULL CHECK (kek_id ~ '^[0-9a-f]{16}$'),
    wrapped      bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    retired_at   timestamptz,
    PRIMARY KEY (workspace_id, version)
);
CREATE INDEX workspace_key_kek_idx ON control.workspace_key (kek_id);

-- One canary per KEK this database has been used with: a wrong KEK at start
-- is detected even before any workspace exists.
CREATE TABLE control.kek_check (
    kek_id     text PRIMARY KEY CHECK (kek_id ~ '^[0-9a-f]{16}$'),
    wrapped    bytea NOT NULL,
    created_at timestamptz NOT NULL
);
