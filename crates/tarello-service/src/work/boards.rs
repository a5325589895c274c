//! Boards: list, create, view (lists + card summaries), update, delete,
//! board members, and the public page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use tarello_domain::policy::{Action, Principal, authorize};
use tarello_store::identity::members;
use tarello_store::repo::board::{self, Board, BoardPatch, NewBoard, Updated};
use tarello_store::repo::export;
use tarello_store::repo::target::Target;
use tarello_store::{TenantTx, public_board};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Cursor, Page, PageQuery, TextRule, found, permit};
use crate::{Caller, ServiceError, Services};

const NAME: TextRule = TextRule::line("name", 1, 200);
const DESCRIPTION: TextRule = TextRule::text("description", 0, 10_000);

/// Who sees a board: its members, the whole workspace, or everyone (a
/// public page).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Private,
    Workspace,
    Public,
}

impl Visibility {
    fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::Workspace => "workspace",
            Visibility::Public => "public",
        }
    }
}

fn default_visibility() -> Visibility {
    Visibility::Workspace
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoardInput {
    /// 1 to 200 characters, one line.
    pub name: String,
    /// Up to 10,000 characters.
    #[serde(default)]
    pub description: String,
    /// `workspace` when absent.
    #[serde(default = "default_visibility")]
    #[schema(default = "workspace")]
    pub visibility: Visibility,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoardPatchInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub visibility: Option<Visibility>,
    /// When given, the update applies only at this version (else 409).
    pub version: Option<i32>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BoardView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    #[schema(value_type = Visibility)]
    pub visibility: String,
    /// The public page's id, while the board is public.
    pub public_id: Option<String>,
    pub version: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<Board> for BoardView {
    fn from(b: Board) -> Self {
        BoardView {
            id: b.board_id,
            name: b.name,
            description: b.description,
            visibility: b.visibility,
            public_id: b.public_id,
            version: b.version,
            created_at: b.created_at,
        }
    }
}

/// 128 random bits, URL-safe: the public page's id (not the board's id).
fn new_public_id() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

impl Services {
    pub async fn list_boards(
        &self,
        caller: &Caller,
        q: &PageQuery,
    ) -> Result<Page<BoardView>, ServiceError> {
        let cursor = Cursor::parse(q, caller.workspace.id)?;
        let grant = caller.authorize(Action::BoardRead)?;
        let mut tx = self.tenant(caller).await?;
        let rows = board::list(&mut tx, &grant, cursor.after, cursor.limit).await?;
        tx.commit().await?;
        let next_cursor = cursor.next(caller.workspace.id, &rows, |b| b.board_id);
        Ok(Page {
            items: rows.into_iter().map(BoardView::from).collect(),
            next_cursor,
        })
    }

    pub async fn create_board(
        &self,
        caller: &Caller,
        input: &BoardInput,
    ) -> Result<BoardView, ServiceError> {
        let grant = caller.authorize(Action::BoardCreate)?;
        let name = NAME.check(&input.name)?;
        let description = DESCRIPTION.check(&input.description)?;
        let public_id = (input.visibility == Visibility::Public).then(new_public_id);
        let mut tx = self.tenant(caller).await?;
        let new = NewBoard {
            board_id: Uuid::now_v7(),
            name,
            description,
            visibility: input.visibility.as_str(),
            public_id: public_id.as_deref(),
        };
        let b = board::create(&mut tx, &grant, &new, self.clock.now()).await?;
        tx.commit().await?;
        if let Some(p) = &b.public_id {
            public_board::publish(&self.db, caller.workspace.id, b.board_id, p).await?;
        }
        Ok(b.into())
    }

    /// The board with its lists and card summaries, as JSON text.
    pub async fn board_view(
        &self,
        caller: &Caller,
        board_id: Uuid,
    ) -> Result<String, ServiceError> {
        let grant = caller.authorize(Action::BoardRead)?;
        let mut tx = self.tenant(caller).await?;
        let view = found(board::view(&mut tx, &grant, board_id).await?)?;
        tx.commit().await?;
        Ok(view)
    }

    pub async fn update_board(
        &self,
        caller: &Caller,
        board_id: Uuid,
        input: &BoardPatchInput,
    ) -> Result<BoardView, ServiceError> {
        let name = NAME.check_opt(input.name.as_deref())?;
        let description = DESCRIPTION.check_opt(input.description.as_deref())?;
        let mut tx = self.tenant(caller).await?;
        let grant = permit(
            &mut tx,
            caller,
            Action::BoardUpdate,
            Target::Board(board_id),
        )
        .await?;
        let fresh = new_public_id();
        let patch = BoardPatch {
            name,
            description,
            visibility: input.visibility.map(Visibility::as_str),
            new_public_id: Some(&fresh),
        };
        let now = self.clock.now();
        let (after, before_public) =
            match board::update(&mut tx, &grant, board_id, input.version, &patch, now).await? {
                Updated::Done(v) => v,
                Updated::Stale => return Err(stale("board")),
                Updated::Missing => return Err(ServiceError::NotFound),
            };
        // Withdraw the public page before the board stops being public
        // (never a window where the directory points at a private board
        // that the page would show), publish after it became public.
        if before_public.is_some() && after.public_id.is_none() {
            public_board::unpublish(&self.db, caller.workspace.id, board_id).await?;
        }
        tx.commit().await?;
        if let Some(p) = &after.public_id {
            public_board::publish(&self.db, caller.workspace.id, board_id, p).await?;
        }
        Ok(after.into())
    }

    pub async fn delete_board(&self, caller: &Caller, board_id: Uuid) -> Result<(), ServiceError> {
        let mut tx = self.tenant(caller).await?;
        let grant = permit(
            &mut tx,
            caller,
            Action::BoardDelete,
            Target::Board(board_id),
        )
        .await?;
        found(board::delete(&mut tx, &grant, board_id).await?)?;
        tx.commit().await?;
        public_board::unpublish(&self.db, caller.workspace.id, board_id).await?;
        Ok(())
    }

    /// `PUT /boards/{id}/members/{user_id}`: the user must be an active
    /// member of the workspace.
    pub async fn add_board_member(
        &self,
        caller: &Caller,
        board_id: Uuid,
        user_id: Uuid,
    ) -> Result<(), ServiceError> {
        let mut tx = self.tenant(caller).await?;
        let grant = permit(
            &mut tx,
            caller,
            Action::BoardMemberManage,
            Target::Board(board_id),
        )
        .await?;
        self.active_member(caller, user_id).await?;
        found(board::add_member(&mut tx, &grant, board_id, user_id, self.clock.now()).await?)?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove_board_member(
        &self,
        caller: &Caller,
        board_id: Uuid,
        user_id: Uuid,
    ) -> Result<(), ServiceError> {
        let mut tx = self.tenant(caller).await?;
        let grant = permit(
            &mut tx,
            caller,
            Action::BoardMemberManage,
            Target::Board(board_id),
        )
        .await?;
        if !found(board::remove_member(&mut tx, &grant, board_id, user_id).await?)? {
            return Err(ServiceError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    /// NotFound unless `user_id` is an active member of the caller's
    /// workspace (people outside it are not named to its members).
    pub(crate) async fn active_member(
        &self,
        caller: &Caller,
        user_id: Uuid,
    ) -> Result<String, ServiceError> {
        match members::find(&self.db, caller.workspace.id, user_id).await? {
            Some(m) if m.active => Ok(m.role),
            _ => Err(ServiceError::NotFound),
        }
    }

    /// `GET /boards/{id}/export`: everything on the board as JSON text.
    pub async fn export_board(
        &self,
        caller: &Caller,
        board_id: Uuid,
    ) -> Result<String, ServiceError> {
        let mut tx = self.tenant(caller).await?;
        let grant = permit(
            &mut tx,
            caller,
            Action::BoardExport,
            Target::Board(board_id),
        )
        .await?;
        let doc = found(export::board(&mut tx, &grant, board_id).await?)?;
        tx.commit().await?;
        Ok(doc)
    }

    /// `GET /public/boards/{public_id}`: no login; only public boards.
    pub async fn public_board(&self, public_id: &str) -> Result<String, ServiceError> {
        let well_formed = (22..=64).contains(&public_id.len())
            && public_id
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_');
        if !well_formed {
            return Err(ServiceError::NotFound);
        }
        let ws = found(public_board::find(&self.db, public_id).await?)?;
        let grant = authorize(Principal::Public, Action::BoardRead)
            .map_err(|d| ServiceError::Forbidden(d.to_string()))?;
        let mut tx = TenantTx::begin(&self.db, ws, &tarello_store::Actor::public()).await?;
        let view = found(board::public_view(&mut tx, &grant, public_id).await?)?;
        tx.commit().await?;
        Ok(view)
    }
}

pub(crate) fn stale(what: &str) -> ServiceError {
    ServiceError::Stale(format!(
        "the {what} changed since the version you sent; fetch it again and retry"
    ))
}
