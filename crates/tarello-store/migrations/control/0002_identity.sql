-- Identity: global users, memberships, sessions, throttles, one-time codes,
-- pending signups, per-workspace signing keys, machine tokens, security
-- events. Shared security state lives here (not in process memory) so
-- several `serve` processes enforce the same limits.

-- A control-plane data key (wrapped by the KEK) for control-plane secrets
-- such as pending signups and signing keys.
CREATE TABLE control.control_key (
    version    integer PRIMARY KEY CHECK (version > 0),
    kek_id     text NOT NULL CHECK (kek_id ~ '^[0-9a-f]{16}$'),
    wrapped    bytea NOT NULL,
    created_at timestamptz NOT NULL,
    retired_at timestamptz
);

-- One human, one identity: unique by normalised (trimmed, NFC, lower-case) email.
CREATE TABLE control.user_account (
    user_id       uuid PRIMARY KEY,
    email         text NOT NULL UNIQUE CHECK (email = lower(email) AND char_length(email) <= 254),
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    password_hash text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    totp_secret   text CHECK (totp_secret LIKE 'f1:%'),
    totp_enabled  boolean NOT NULL DEFAULT false,
    totp_last_step bigint,
    created_at    timestamptz NOT NULL,
    deleted_at    timestamptz
);

CREATE TABLE control.membership (
    workspace_id uuid NOT NULL REFERENCES control.workspace ON DELETE CASCADE,
    user_id      uuid NOT NULL REFERENCES control.user_account ON DELETE CASCADE,
    role         text NOT NULL CHECK (role IN ('admin', 'member', 'observer')),
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL,
    -- A role change or deactivation moves this forward; workspace tokens
    -- issued before it are refused, so the member's sessions in this
    -- workspace end at once.
    changed_at   timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX membership_user_idx ON control.membership (user_id);

-- Account sessions. The refresh token is stored as SHA-256 only and rotates
-- on every use; a spent one coming back revokes the whole session.
CREATE TABLE control.session (
    session_id      uuid PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES control.user_account ON DELETE CASCADE,
    refresh_hash    text NOT NULL UNIQUE,
    -- Account access tokens are opaque, short-lived and checked against
    -- this row on every request (SHA-256 only).
    access_hash       text NOT NULL UNIQUE,
    access_expires_at timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    last_used_at    timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    revoked_reason  text,
    ip              text,
    user_agent      text
);
CREATE INDEX session_user_idx ON control.session (user_id);

-- Refresh tokens already spent, to detect their reuse.
CREATE TABLE control.spent_refresh (
    refresh_hash text PRIMARY KEY,
    session_id   uuid NOT NULL REFERENCES control.session ON DELETE CASCADE,
    spent_at     timestamptz NOT NULL
);

-- Failure counters and locks, per account and per client IP.
CREATE TABLE control.login_throttle (
    throttle_key  text PRIMARY KEY,   -- 'account:<user_id or email hash>' | 'ip:<address>'
    failures      integer NOT NULL DEFAULT 0,
    lock_count    integer NOT NULL DEFAULT 0,
    locked_until  timestamptz,
    updated_at    timestamptz NOT NULL
);

-- Fixed-window counters for rate limits (signup per IP and per domain, …).
CREATE TABLE control.rate_window (
    bucket       text NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

-- One-time codes (password reset, signup), stored hashed, attempt-capped
-- by an atomic decrement.
CREATE TABLE control.one_time_code (
    purpose       text NOT NULL CHECK (purpose IN ('signup', 'reset')),
    subject       text NOT NULL,
    code_hash     text NOT NULL,
    attempts_left integer NOT NULL CHECK (attempts_left >= 0),
    expires_at    timestamptz NOT NULL,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (purpose, subject)
);

-- Pending signups: the payload (name, password hash) is Fernet-encrypted
-- under the control data key.
CREATE TABLE control.pending_signup (
    email      text PRIMARY KEY,
    payload    text NOT NULL CHECK (payload LIKE 'f1:%'),
    created_at timestamptz NOT NULL
);

-- Per-workspace token signing keys; the private key is encrypted.
CREATE TABLE control.signing_key (
    workspace_id uuid NOT NULL REFERENCES control.workspace ON DELETE CASCADE,
    kid          text NOT NULL,
    private_key  text NOT NULL CHECK (private_key LIKE 'f1:%'),
    public_jwk   jsonb NOT NULL,
    created_at   timestamptz NOT NULL,
    retired_at   timestamptz,
    PRIMARY KEY (workspace_id, kid)
);

CREATE TABLE control.security_event (
    event_id     uuid PRIMARY KEY,
    kind         text NOT NULL,
    user_id      uuid,
    workspace_id uuid,
    ip           text,
    user_agent   text,
    detail       jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL
);
CREATE INDEX security_event_user_idx ON control.security_event (user_id, created_at);

-- TOTP recovery codes: peppered hashes, each usable once.
CREATE TABLE control.recovery_code (
    user_id   uuid NOT NULL REFERENCES control.user_account ON DELETE CASCADE,
    code_hash text NOT NULL,
    used_at   timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- Machine-to-machine tokens of a workspace: shown once, stored as SHA-256,
-- expiring, revocable, never more than member rights.
CREATE TABLE control.api_token (
    token_id     uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES control.workspace ON DELETE CASCADE,
    name         text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    token_hash   text NOT NULL UNIQUE,
    scope        text NOT NULL CHECK (scope IN ('read', 'write')),
    created_by   uuid NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX api_token_workspace_idx ON control.api_token (workspace_id);

-- A workspace may require two-factor authentication of its members.
ALTER TABLE control.workspace ADD COLUMN require_2fa boolean NOT NULL DEFAULT false;
