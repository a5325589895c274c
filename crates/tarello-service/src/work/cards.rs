//! Cards: create in a list, read (with tags, viewers and first comments),
//! search with filters, edit and move (optimistic: a stale version is 409),
//! delete.

use serde::{Deserialize, Deserializer, Serialize};
use tarello_domain::policy::Action;
use tarello_store::repo::card::{self, Card, CardFilter, CardPatch, CardUpdated, NewCard};
use tarello_store::repo::target::Target;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::boards::stale;
use super::lists::check_index;
use super::{Cursor, Page, PageQuery, TextRule, found, permit};
use crate::{Caller, ServiceError, Services};

const TITLE: TextRule = TextRule::line("title", 1, 500);
const DESCRIPTION: TextRule = TextRule::text("description", 0, 100_000);
/// Comments embedded in a card's view; the rest are paged.
const EMBEDDED_COMMENTS: i64 = 50;

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardInput {
    /// 1 to 500 characters, one line.
    pub title: String,
    /// Markdown source, stored as text and never rendered by the server.
    #[serde(default)]
    pub description: String,
    /// `YYYY-MM-DD`.
    #[serde(default, with = "iso_date::option")]
    pub due_date: Option<Date>,
    /// The slot among the list's unarchived cards (0 = top); the end when absent.
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub position: Option<i64>,
}

/// Absent = leave as is; `null` = clear.
fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A date, `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, format = Date)]
pub struct IsoDate(#[serde(with = "iso_date")] pub Date);

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardPatchInput {
    /// The version the edit is based on (required: a stale one is 409).
    pub version: i32,
    pub title: Option<String>,
    pub description: Option<String>,
    /// `YYYY-MM-DD`; `null` clears it; absent leaves it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub due_date: Option<Option<IsoDate>>,
    pub archived: Option<bool>,
    /// Move to this list (on the same board).
    pub list_id: Option<Uuid>,
    /// Slot among the target list's unarchived cards (0 = top).
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub position: Option<i64>,
}

/// Card search filters (all optional, combined with AND) and the page.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CardQuery {
    pub board_id: Option<Uuid>,
    pub list_id: Option<Uuid>,
    pub tag_id: Option<Uuid>,
    /// Due on or after (`YYYY-MM-DD`).
    #[param(value_type = Option<String>, format = Date)]
    pub due_from: Option<IsoDate>,
    /// Due on or before (`YYYY-MM-DD`).
    #[param(value_type = Option<String>, format = Date)]
    pub due_to: Option<IsoDate>,
    pub archived: Option<bool>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CardView {
    pub id: Uuid,
    pub board_id: Uuid,
    pub list_id: Uuid,
    pub title: String,
    pub description: String,
    #[serde(with = "iso_date::option")]
    pub due_date: Option<Date>,
    /// The rank key: cards sort by it, byte-wise.
    pub rank: String,
    pub archived: bool,
    pub version: i32,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<Card> for CardView {
    fn from(c: Card) -> Self {
        CardView {
            id: c.card_id,
            board_id: c.board_id,
            list_id: c.list_id,
            title: c.title,
            description: c.description,
            due_date: c.due_date,
            rank: c.position,
            archived: c.archived,
            version: c.version,
            created_by: c.created_by,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

impl Services {
    pub async fn create_card(
        &self,
        caller: &Caller,
        list_id: Uuid,
        input: &CardInput,
    ) -> Result<CardView, ServiceError> {
        let title = TITLE.check(&input.title)?;
        let description = DESCRIPTION.check(&input.description)?;
        let index = check_index(input.position)?;
        let mut tx = self.tenant(caller).await?;
        let grant = permit(&mut tx, caller, Action::CardCreate, Target::List(list_id)).await?;
        let new = NewCard {
            card_id: Uuid::now_v7(),
            title,
            description,
            due_date: input.due_date,
        };
        let c = card::create(&mut tx, &grant, list_id, &new, index, self.clock.now()).await?;
        let c = found(c)?;
        tx.commit().await?;
        Ok(c.into())
    }

    /// The card as JSON text, and its version for the ETag.
    pub async fn card_view(
        &self,
        caller: &Caller,
        card_id: Uuid,
    ) -> Result<(String, i32), ServiceError> {
        let grant = caller.authorize(Action::CardRead)?;
        let mut tx = self.tenant(caller).await?;
        let v = found(card::view(&mut tx, &grant, card_id, EMBEDDED_COMMENTS).await?)?;
        tx.commit().await?;
        Ok(v)
    }

    pub async fn search_cards(
        &self,
        caller: &Caller,
        q: &CardQuery,
    ) -> Result<Page<CardView>, ServiceError> {
        let page = PageQuery {
            cursor: q.cursor.clone(),
            limit: q.limit,
        };
        let cursor = Cursor::parse(&page, caller.workspace.id)?;
        if let (Some(from), Some(to)) = (q.due_from, q.due_to)
            && from.0 > to.0
        {
            return Err(ServiceError::Invalid {
                field: "due_from",
                message: "due_from is after due_to".into(),
            });
        }
        let filter = CardFilter {
            board_id: q.board_id,
            list_id: q.list_id,
            tag_id: q.tag_id,
            due_from: q.due_from.map(|d| d.0),
            due_to: q.due_to.map(|d| d.0),
            archived: q.archived,
        };
        let grant = caller.authorize(Action::CardRead)?;
        let mut tx = self.tenant(caller).await?;
        let rows = card::search(&mut tx, &grant, &filter, cursor.after, cursor.limit).await?;
        tx.commit().await?;
        let next_cursor = cursor.next(caller.workspace.id, &rows, |c| c.card_id);
        Ok(Page {
            items: rows.into_iter().map(CardView::from).collect(),
            next_cursor,
        })
    }

    pub async fn update_card(
        &self,
        caller: &Caller,
        card_id: Uuid,
        input: &CardPatchInput,
    ) -> Result<CardView, ServiceError> {
        let patch = CardPatch {
            title: TITLE.check_opt(input.title.as_deref())?,
            description: DESCRIPTION.check_opt(input.description.as_deref())?,
            due_date: input.due_date.map(|d| d.map(|d| d.0)),
            archived: input.archived,
            list_id: input.list_id,
            index: check_index(input.position)?,
        };
        let mut tx = self.tenant(caller).await?;
        let grant = permit(&mut tx, caller, Action::CardUpdate, Target::Card(card_id)).await?;
        let now = self.clock.now();
        let c = match card::update(&mut tx, &grant, card_id, input.version, &patch, now).await? {
            CardUpdated::Done(c) => c,
            CardUpdated::Stale => return Err(stale("card")),
            CardUpdated::Missing => return Err(ServiceError::NotFound),
            CardUpdated::NoSuchList => {
                return Err(ServiceError::Invalid {
                    field: "list_id",
                    message: "no such list on this card's board".into(),
                });
            }
        };
        tx.commit().await?;
        Ok(c.into())
    }

    pub async fn delete_card(&self, caller: &Caller, card_id: Uuid) -> Result<(), ServiceError> {
        let mut tx = self.tenant(caller).await?;
        let grant = permit(&mut tx, caller, Action::CardDelete, Target::Card(card_id)).await?;
        if !card::delete(&mut tx, &grant, card_id).await? {
            return Err(ServiceError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }
}
