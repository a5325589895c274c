//! Schemas of the JSON documents the database builds (board view, card
//! view, public board: `json_build_object` in `tarello-store`'s
//! `repo/board.rs` and `repo/card.rs`). Handlers pass that text through
//! untouched, so these types are never built in Rust: they only describe
//! the document for OpenAPI. `deny_unknown_fields` makes the schema closed
//! (`additionalProperties: false`): a field added to the SQL but not here
//! fails the black-box tests that validate responses against the schema.
#![expect(
    dead_code,
    reason = "documentation of JSON that the database serialises"
)]

use serde::Deserialize;
use tarello_service::Visibility;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;
use uuid::Uuid;

/// A card on a board view: what a column shows.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardSummary {
    pub id: Uuid,
    pub title: String,
    /// The rank key: cards sort by it, byte-wise.
    pub rank: String,
    pub due_date: Option<Date>,
    pub version: i32,
    pub tag_ids: Vec<Uuid>,
}

/// A list with its unarchived cards, in order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListWithCards {
    pub id: Uuid,
    pub name: String,
    /// The rank key: lists sort by it, byte-wise.
    pub rank: String,
    pub version: i32,
    pub cards: Vec<CardSummary>,
}

/// `GET /workspaces/{ws}/boards/{id}`: the board, its lists in order, each
/// list's unarchived cards in order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoardDetail {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub visibility: Visibility,
    /// The public page's id, while the board is public.
    pub public_id: Option<String>,
    pub version: i32,
    pub created_at: OffsetDateTime,
    pub lists: Vec<ListWithCards>,
}

/// `GET /public/boards/{public_id}`: names, lists and cards only — no
/// people, no settings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicBoard {
    pub name: String,
    pub description: String,
    pub lists: Vec<ListWithCards>,
}

/// A comment embedded in a card view.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmbeddedComment {
    pub id: Uuid,
    pub card_id: Uuid,
    pub author_id: Uuid,
    /// Markdown source, never rendered by the server.
    pub body: String,
    pub created_at: OffsetDateTime,
    pub updated_at: Option<OffsetDateTime>,
}

/// `GET /workspaces/{ws}/cards/{id}`: the card with its tags, viewers and
/// its first comments (the rest are paged at `/cards/{id}/comments`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardDetail {
    pub id: Uuid,
    pub board_id: Uuid,
    pub list_id: Uuid,
    pub title: String,
    /// Markdown source, never rendered by the server.
    pub description: String,
    pub due_date: Option<Date>,
    /// The rank key: cards sort by it, byte-wise.
    pub rank: String,
    pub archived: bool,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub tag_ids: Vec<Uuid>,
    pub viewer_ids: Vec<Uuid>,
    pub comment_count: i64,
    /// The first 50 comments, oldest first.
    pub comments: Vec<EmbeddedComment>,
}

/// One public signing key (RFC 8037: Ed25519 as an OKP key).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Jwk {
    /// `OKP`.
    pub kty: String,
    /// `Ed25519`.
    pub crv: String,
    /// The public key, base64url.
    pub x: String,
    pub kid: String,
    /// `EdDSA`.
    pub alg: String,
    /// `sig`.
    #[serde(rename = "use")]
    pub use_: String,
}

/// `GET /workspaces/{ws}/jwks.json`: the keys that sign this workspace's tokens.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// `GET · PATCH /workspaces/{ws}`: the workspace, the caller's role and
/// lane, and the settings (the service's `WorkspaceDetail`, whose settings
/// come flattened from the control plane).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceDetail {
    pub id: Uuid,
    pub slug: String,
    /// The caller's role: `admin`, `member` or `observer`.
    pub role: String,
    /// `human` (a person's token) or `machine` (an API token).
    pub lane: String,
    pub name: String,
    /// `free`, `pro` or `business`.
    pub plan: String,
    pub require_2fa: bool,
    /// An IANA zone, e.g. `Europe/Brussels`.
    pub timezone: String,
    /// ISO 4217, e.g. `EUR`.
    pub currency: String,
}
