//! Lists on a board: create, rename/move, delete.

use serde::{Deserialize, Serialize};
use tarello_domain::policy::Action;
use tarello_store::repo::board::Updated;
use tarello_store::repo::list::{self, List};
use tarello_store::repo::target::Target;
use uuid::Uuid;

use super::boards::stale;
use super::{TextRule, found, permit};
use crate::{Caller, ServiceError, Services};

const NAME: TextRule = TextRule::line("name", 1, 200);
/// Slots beyond this are refused rather than silently clamped.
pub const MAX_INDEX: i64 = 1_000_000;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListInput {
    /// 1 to 200 characters, one line.
    pub name: String,
    /// The slot (0 = first); the end when absent.
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub position: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListPatchInput {
    pub name: Option<String>,
    /// Move to this slot (0 = first).
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub position: Option<i64>,
    /// When given, the update applies only at this version (else 409).
    pub version: Option<i32>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ListView {
    pub id: Uuid,
    pub board_id: Uuid,
    pub name: String,
    /// The rank key: lists sort by it, byte-wise.
    pub rank: String,
    pub version: i32,
}

impl From<List> for ListView {
    fn from(l: List) -> Self {
        ListView {
            id: l.list_id,
            board_id: l.board_id,
            name: l.name,
            rank: l.position,
            version: l.version,
        }
    }
}

/// A slot index from the API: 0 to [`MAX_INDEX`].
pub(crate) fn check_index(position: Option<i64>) -> Result<Option<i64>, ServiceError> {
    match position {
        Some(p) if !(0..=MAX_INDEX).contains(&p) => Err(ServiceError::Invalid {
            field: "position",
            message: format!("position is a slot from 0 to {MAX_INDEX}"),
        }),
        other => Ok(other),
    }
}

impl Services {
    pub async fn create_list(
        &self,
        caller: &Caller,
        board_id: Uuid,
        input: &ListInput,
    ) -> Result<ListView, ServiceError> {
        let name = NAME.check(&input.name)?;
        let index = check_index(input.position)?;
        let mut tx = self.tenant(caller).await?;
        let grant = permit(&mut tx, caller, Action::ListCreate, Target::Board(board_id)).await?;
        let l = list::create(
            &mut tx,
            &grant,
            board_id,
            Uuid::now_v7(),
            name,
            index,
            self.clock.now(),
        )
        .await?;
        let l = found(l)?;
        tx.commit().await?;
        Ok(l.into())
    }

    pub async fn update_list(
        &self,
        caller: &Caller,
        list_id: Uuid,
        input: &ListPatchInput,
    ) -> Result<ListView, ServiceError> {
        let name = NAME.check_opt(input.name.as_deref())?;
        let index = check_index(input.position)?;
        let mut tx = self.tenant(caller).await?;
        let grant = permit(&mut tx, caller, Action::ListUpdate, Target::List(list_id)).await?;
        let now = self.clock.now();
        let l =
            match list::update(&mut tx, &grant, list_id, input.version, name, index, now).await? {
                Updated::Done(l) => l,
                Updated::Stale => return Err(stale("list")),
                Updated::Missing => return Err(ServiceError::NotFound),
            };
        tx.commit().await?;
        Ok(l.into())
    }

    pub async fn delete_list(&self, caller: &Caller, list_id: Uuid) -> Result<(), ServiceError> {
        let mut tx = self.tenant(caller).await?;
        let grant = permit(&mut tx, caller, Action::ListDelete, Target::List(list_id)).await?;
        if !list::delete(&mut tx, &grant, list_id).await? {
            return Err(ServiceError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }
}
