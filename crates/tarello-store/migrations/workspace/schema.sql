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
