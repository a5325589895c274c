-- The whole current workspace schema, run once when a workspace is created
-- (no replay of history). A test checks that it equals the migrations replayed.
CREATE TABLE board (
    board_id   uuid PRIMARY KEY,
    name       text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL
);

-- Credentials of integrations, Fernet-encrypted under the workspace's data
-- key and bound to (workspace, table, column, row).
CREATE TABLE integration (
    integration_id uuid PRIMARY KEY,
    kind           text NOT NULL CHECK (char_length(kind) BETWEEN 1 AND 64),
    secret         text NOT NULL CHECK (secret LIKE 'f1:%'),
    created_at     timestamptz NOT NULL
);
