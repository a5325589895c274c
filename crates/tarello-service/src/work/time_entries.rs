//! Time entries: list a card's (paged), record, edit (author only), delete
//! (author, or an admin). Minutes are 1 to 1440 (a day); the billable rate
//! is in minor units of the workspace currency per hour.

use serde::{Deserialize, Deserializer, Serialize};
use tarello_domain::policy::Action;
use tarello_store::repo::target::Target;
use tarello_store::repo::time_entry::{self, NewTimeEntry, TimeEntry, TimeEntryPatch};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::cards::IsoDate;
use super::comments::not_yours;
use super::{Cursor, Page, PageQuery, TextRule, found, permit};
use crate::{Caller, ServiceError, Services};

const NOTE: TextRule = TextRule::text("note", 0, 1000);
const MAX_MINUTES: i64 = 1440;
/// A million per hour in major units: far above any real rate, far below
/// an overflow when multiplied by minutes.
const MAX_RATE_CENTS: i64 = 100_000_000;

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeEntryInput {
    /// 1 to 1440.
    #[schema(minimum = 1, maximum = 1440)]
    pub minutes: i64,
    /// The day the time was spent (`YYYY-MM-DD`).
    pub spent_on: IsoDate,
    /// Up to 1000 characters.
    #[serde(default)]
    pub note: String,
    /// Minor units (cents) of the workspace currency per hour.
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub billable_rate_cents: Option<i64>,
}

/// Absent = leave as is; `null` = clear.
fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeEntryPatchInput {
    pub minutes: Option<i64>,
    pub spent_on: Option<IsoDate>,
    pub note: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub billable_rate_cents: Option<Option<i64>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimeEntryView {
    pub id: Uuid,
    pub card_id: Uuid,
    pub author_id: Uuid,
    pub minutes: i32,
    /// `YYYY-MM-DD`.
    #[serde(with = "iso_date")]
    #[schema(value_type = String, format = Date)]
    pub spent_on: Date,
    pub note: String,
    /// Minor units (cents) of the workspace currency per hour.
    pub billable_rate_cents: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
}

impl From<TimeEntry> for TimeEntryView {
    fn from(t: TimeEntry) -> Self {
        TimeEntryView {
            id: t.time_entry_id,
            card_id: t.card_id,
            author_id: t.author_id,
            minutes: t.minutes,
            spent_on: t.spent_on,
            note: t.note,
            billable_rate_cents: t.billable_rate_cents,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

fn check_minutes(m: i64) -> Result<i32, ServiceError> {
    match i32::try_from(m) {
        Ok(v) if (1..=MAX_MINUTES).contains(&m) => Ok(v),
        _ => Err(ServiceError::Invalid {
            field: "minutes",
            message: format!("minutes is 1 to {MAX_MINUTES}"),
        }),
    }
}

fn check_rate(r: Option<i64>) -> Result<Option<i64>, ServiceError> {
    match r {
        Some(v) if !(0..=MAX_RATE_CENTS).contains(&v) => Err(ServiceError::Invalid {
            field: "billable_rate_cents",
            message: format!("billable_rate_cents is 0 to {MAX_RATE_CENTS}"),
        }),
        _ => Ok(r),
    }
}

impl Services {
    pub async fn list_time_entries(
        &self,
        caller: &Caller,
        card_id: Uuid,
        q: &PageQuery,
    ) -> Result<Page<TimeEntryView>, ServiceError> {
        let cursor = Cursor::parse(q, caller.workspace.id)?;
        let grant = caller.authorize(Action::TimeEntryRead)?;
        let mut tx = self.tenant(caller).await?;
        let rows = time_entry::list(&mut tx, &grant, card_id, cursor.after, cursor.limit).await?;
        let rows = found(rows)?;
        tx.commit().await?;
        let next_cursor = cursor.next(caller.workspace.id, &rows, |t| t.time_entry_id);
        Ok(Page {
            items: rows.into_iter().map(TimeEntryView::from).collect(),
            next_cursor,
        })
    }

    pub async fn create_time_entry(
        &self,
        caller: &Caller,
        card_id: Uuid,
        input: &TimeEntryInput,
    ) -> Result<TimeEntryView, ServiceError> {
        let new = NewTimeEntry {
            time_entry_id: Uuid::now_v7(),
            minutes: check_minutes(input.minutes)?,
            spent_on: input.spent_on.0,
            note: NOTE.check(&input.note)?,
            billable_rate_cents: check_rate(input.billable_rate_cents)?,
        };
        let mut tx = self.tenant(caller).await?;
        let target = Target::Card(card_id);
        let grant = permit(&mut tx, caller, Action::TimeEntryCreate, target).await?;
        let t = time_entry::create(&mut tx, &grant, card_id, &new, self.clock.now()).await?;
        let t = found(t)?;
        tx.commit().await?;
        Ok(t.into())
    }

    pub async fn update_time_entry(
        &self,
        caller: &Caller,
        time_entry_id: Uuid,
        input: &TimeEntryPatchInput,
    ) -> Result<TimeEntryView, ServiceError> {
        let patch = TimeEntryPatch {
            minutes: input.minutes.map(check_minutes).transpose()?,
            spent_on: input.spent_on.map(|d| d.0),
            note: NOTE.check_opt(input.note.as_deref())?,
            billable_rate_cents: input.billable_rate_cents.map(check_rate).transpose()?,
        };
        let target = Target::TimeEntry(time_entry_id);
        let mut tx = self.tenant(caller).await?;
        let grant = permit(&mut tx, caller, Action::TimeEntryUpdate, target).await?;
        let read = caller.authorize(Action::TimeEntryRead)?;
        let now = self.clock.now();
        match time_entry::update(&mut tx, &grant, &read, time_entry_id, &patch, now).await? {
            Some(t) => {
                tx.commit().await?;
                Ok(t.into())
            }
            None => {
                let why = "only its author may edit a time entry";
                Err(not_yours(&mut tx, caller, target, why).await)
            }
        }
    }

    pub async fn delete_time_entry(
        &self,
        caller: &Caller,
        time_entry_id: Uuid,
    ) -> Result<(), ServiceError> {
        let target = Target::TimeEntry(time_entry_id);
        let mut tx = self.tenant(caller).await?;
        let grant = permit(&mut tx, caller, Action::TimeEntryDelete, target).await?;
        let read = caller.authorize(Action::TimeEntryRead)?;
        if !time_entry::delete(&mut tx, &grant, &read, time_entry_id).await? {
            let why = "only its author or an admin may delete a time entry";
            return Err(not_yours(&mut tx, caller, target, why).await);
        }
        tx.commit().await?;
        Ok(())
    }
}
