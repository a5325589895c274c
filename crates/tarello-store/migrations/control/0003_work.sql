-- Workspace settings, invitations, the public-board directory and
-- attachment download tokens.
ALTER TABLE control.workspace
    ADD COLUMN plan     text NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro', 'business')),
    ADD COLUMN timezone text NOT NULL DEFAULT 'Europe/Brussels' CHECK (char_length(timezone) BETWEEN 1 AND 64),
    ADD COLUMN currency text NOT NULL DEFAULT 'EUR' CHECK (currency ~ '^[A-Z]{3}$');

-- An invitation's code is stored only as a peppered hash; accepting needs
-- the code *and* a login with the invited address.
CREATE TABLE control.invitation (
    invitation_id uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES control.workspace ON DELETE CASCADE,
    email         text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'member', 'observer')),
    code_hash     bytea NOT NULL UNIQUE,
    invited_by    uuid NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    accepted_at   timestamptz
);
CREATE INDEX invitation_workspace_idx ON control.invitation (workspace_id, email);

-- Which workspace a public board lives in: the public page has no
-- workspace in its path. Nothing else of the board is kept here.
CREATE TABLE control.public_board (
    public_id    text PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES control.workspace ON DELETE CASCADE,
    board_id     uuid NOT NULL,
    UNIQUE (workspace_id, board_id)
);

-- Short-lived attachment download tokens, stored as SHA-256.
CREATE TABLE control.file_token (
    token_hash    bytea PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES control.workspace ON DELETE CASCADE,
    attachment_id uuid NOT NULL,
    expires_at    timestamptz NOT NULL
);
CREATE INDEX file_token_expiry_idx ON control.file_token (expires_at);
