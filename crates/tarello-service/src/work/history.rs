//! `GET /workspaces/{ws}/history`: the change history, for admins, with
//! filters applied in SQL and a cursor bound to the workspace; and
//! `GET /workspaces/{ws}/cards/{id}/activity`: one card's events, for
//! whoever sees the card.

use serde::{Deserialize, Serialize};
use tarello_domain::policy::Action;
use tarello_store::repo::history::{self, Event, Filter};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Cursor, Page, PageQuery, must_see, short, time_range};
use crate::{Caller, ServiceError, Services};

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// `board`, `list`, `card`, `comment`, `tag`, `board_member`,
    /// `time_entry`, `attachment`.
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    /// `insert`, `update`, `delete`, `card.tag.add`, `card.tag.remove`,
    /// `card.viewer.add`, `card.viewer.remove`.
    pub action: Option<String>,
    /// RFC 3339; events at or after.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<OffsetDateTime>,
    /// RFC 3339; events before.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub until: Option<OffsetDateTime>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryEvent {
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// `user`, `token`, `system` or `public`.
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Uuid,
    pub card_id: Option<Uuid>,
    pub board_id: Option<Uuid>,
    /// Changed fields before (updates, deletes); key material as `***`.
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// Changed fields after (inserts, updates).
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

impl From<Event> for HistoryEvent {
    fn from(e: Event) -> Self {
        HistoryEvent {
            seq: e.seq,
            at: e.at,
            actor_kind: e.actor_kind,
            actor_id: e.actor_id,
            action: e.action,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            card_id: e.card_id,
            board_id: e.board_id,
            before: e.before,
            after: e.after,
            request_id: e.request_id,
            client_ip: e.client_ip,
            user_agent: e.user_agent,
        }
    }
}

/// One event of a card's activity feed: the history event without the
/// request columns (request id, client address, user agent), which are for
/// admins. `card_id` is the card itself; `board_id` adds nothing here.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActivityEvent {
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// `user`, `token`, `system` or `public`.
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    /// `insert`, `update`, `delete`, `card.tag.add`, `card.tag.remove`,
    /// `card.viewer.add`, `card.viewer.remove`.
    pub action: String,
    /// `card`, `comment`, `time_entry` or `attachment`.
    pub entity_type: String,
    pub entity_id: Uuid,
    /// Changed fields before (updates, deletes); key material as `***`.
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// Changed fields after (inserts, updates).
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

/// The feed shows a subset of the admin's event, mapped once, above.
impl From<HistoryEvent> for ActivityEvent {
    fn from(e: HistoryEvent) -> Self {
        ActivityEvent {
            seq: e.seq,
            at: e.at,
            actor_kind: e.actor_kind,
            actor_id: e.actor_id,
            action: e.action,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            before: e.before,
            after: e.after,
        }
    }
}

impl HistoryQuery {
    /// The filters, checked: a reversed range is 422, as are empty or
    /// overlong names.
    pub(crate) fn filter(&self) -> Result<Filter<'_>, ServiceError> {
        time_range(self.since, self.until)?;
        Ok(Filter {
            entity_type: short("entity_type", self.entity_type.as_deref())?,
            entity_id: self.entity_id,
            actor_id: self.actor_id,
            action: short("action", self.action.as_deref())?,
            since: self.since,
            until: self.until,
        })
    }
}

impl Services {
    pub async fn history(
        &self,
        caller: &Caller,
        q: &HistoryQuery,
    ) -> Result<Page<HistoryEvent>, ServiceError> {
        let grant = caller.authorize(Action::HistoryRead)?;
        let page = PageQuery {
            cursor: q.cursor.clone(),
            limit: q.limit,
        };
        let cursor: Cursor<i64> = Cursor::parse(&page, caller.workspace.id)?;
        let filter = q.filter()?;
        let mut tx = self.tenant(caller).await?;
        let rows = history::list(&mut tx, &grant, &filter, cursor.after, cursor.limit).await?;
        tx.commit().await?;
        let next_cursor = cursor.next(caller.workspace.id, &rows, |e| e.seq);
        Ok(Page {
            items: rows.into_iter().map(HistoryEvent::from).collect(),
            next_cursor,
        })
    }
}

impl Services {
    /// A card's activity, newest first: NotFound for a card the caller
    /// cannot see, exactly like reading the card.
    pub async fn card_activity(
        &self,
        caller: &Caller,
        card_id: Uuid,
        page: &PageQuery,
    ) -> Result<Page<ActivityEvent>, ServiceError> {
        let cursor: Cursor<i64> = Cursor::parse(page, caller.workspace.id)?;
        let mut tx = self.tenant(caller).await?;
        must_see(
            &mut tx,
            caller,
            tarello_store::repo::target::Target::Card(card_id),
        )
        .await?;
        let grant = caller.authorize(Action::CardActivityRead)?;
        let rows =
            history::card_activity(&mut tx, &grant, card_id, cursor.after, cursor.limit).await?;
        tx.commit().await?;
        let next_cursor = cursor.next(caller.workspace.id, &rows, |e| e.seq);
        Ok(Page {
            items: rows
                .into_iter()
                .map(|e| ActivityEvent::from(HistoryEvent::from(e)))
                .collect(),
            next_cursor,
        })
    }
}
