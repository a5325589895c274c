//! Time entries on cards: the same reach as comments (the card's board must
//! be visible to the caller's read grant; edits for the author, deletes for
//! the author or an admin), one statement per call.

use tarello_domain::policy::{Action, Grant};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::scope::{delete_authored, delete_authored_sql, gone_is_none, require, visible};
use crate::{StoreError, TenantTx};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TimeEntry {
    pub time_entry_id: Uuid,
    pub card_id: Uuid,
    pub author_id: Uuid,
    pub minutes: i32,
    pub spent_on: Date,
    pub note: String,
    /// Minor units of the workspace currency per hour.
    pub billable_rate_cents: Option<i64>,
    pub created_at: OffsetDateTime,
    pub updated_at: Option<OffsetDateTime>,
}

/// A page row; the entry's columns are null when the card has none (left).
#[derive(sqlx::FromRow)]
struct Slot {
    time_entry_id: Option<Uuid>,
    card_id: Option<Uuid>,
    author_id: Option<Uuid>,
    minutes: Option<i32>,
    spent_on: Option<Date>,
    note: Option<String>,
    billable_rate_cents: Option<i64>,
    created_at: Option<OffsetDateTime>,
    updated_at: Option<OffsetDateTime>,
}

impl Slot {
    fn entry(self) -> Option<TimeEntry> {
        Some(TimeEntry {
            time_entry_id: self.time_entry_id?,
            card_id: self.card_id?,
            author_id: self.author_id?,
            minutes: self.minutes?,
            spent_on: self.spent_on?,
            note: self.note?,
            billable_rate_cents: self.billable_rate_cents,
            created_at: self.created_at?,
            updated_at: self.updated_at,
        })
    }
}

const RETURNING: &str = " RETURNING x.time_entry_id, x.card_id, x.author_id, x.minutes, \
     x.spent_on, x.note, x.billable_rate_cents, x.created_at, x.updated_at";

/// A card's time entries in id order after `after`; `None` when the card
/// is not on a board the grant can see.
pub async fn list(
    tx: &mut TenantTx,
    grant: &Grant,
    card_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Option<Vec<TimeEntry>>, StoreError> {
    require(grant, Action::TimeEntryRead)?;
    let q = concat!(
        "SELECT x.time_entry_id, x.card_id, x.author_id, x.minutes, x.spent_on, x.note, \
         x.billable_rate_cents, x.created_at, x.updated_at \
         FROM card c JOIN board b ON b.board_id = c.board_id \
         LEFT JOIN LATERAL (SELECT t.time_entry_id, t.card_id, t.author_id, t.minutes, \
         t.spent_on, t.note, t.billable_rate_cents, t.created_at, t.updated_at \
         FROM time_entry t WHERE t.card_id = c.card_id \
         AND ($4::uuid IS NULL OR t.time_entry_id > $4) ORDER BY t.time_entry_id LIMIT $5) x ON true \
         WHERE c.card_id = $3 AND ",
        visible!(),
        " ORDER BY x.time_entry_id"
    );
    let rows: Vec<Slot> = sqlx::query_as(q)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(card_id)
        .bind(after)
        .bind(limit)
        .fetch_all(tx.conn())
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(rows.into_iter().filter_map(Slot::entry).collect()))
}

#[derive(Debug, Clone)]
pub struct NewTimeEntry<'a> {
    pub time_entry_id: Uuid,
    pub minutes: i32,
    pub spent_on: Date,
    pub note: &'a str,
    pub billable_rate_cents: Option<i64>,
}

/// Records time by the grant's principal; `None` when the card is not on a
/// board the grant can see.
pub async fn create(
    tx: &mut TenantTx,
    grant: &Grant,
    card_id: Uuid,
    new: &NewTimeEntry<'_>,
    now: OffsetDateTime,
) -> Result<Option<TimeEntry>, StoreError> {
    require(grant, Action::TimeEntryCreate)?;
    let q = [
        concat!(
            "INSERT INTO time_entry AS x (time_entry_id, card_id, author_id, minutes, spent_on, \
             note, billable_rate_cents, created_at) \
             SELECT $4::uuid, c.card_id, $2::uuid, $5::integer, $6::date, $7::text, $8::bigint, \
             $9::timestamptz FROM card c JOIN board b ON b.board_id = c.board_id \
             WHERE c.card_id = $3 AND ",
            visible!()
        ),
        RETURNING,
    ]
    .concat();
    let r = sqlx::query_as(&q)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(card_id)
        .bind(new.time_entry_id)
        .bind(new.minutes)
        .bind(new.spent_on)
        .bind(new.note)
        .bind(new.billable_rate_cents)
        .bind(now)
        .fetch_optional(tx.conn())
        .await;
    gone_is_none(r)
}

#[derive(Debug, Clone, Default)]
pub struct TimeEntryPatch<'a> {
    pub minutes: Option<i32>,
    pub spent_on: Option<Date>,
    pub note: Option<&'a str>,
    /// `Some(None)` clears the rate.
    pub billable_rate_cents: Option<Option<i64>>,
}

/// Applies `patch`. `grant` is the `TimeEntryUpdate` grant (its `Own`
/// scope limits the row to the principal's); `read` is the caller's
/// `TimeEntryRead` grant, which says which boards it reaches. `None` when
/// no such entry is both visible and the caller's to edit.
pub async fn update(
    tx: &mut TenantTx,
    grant: &Grant,
    read: &Grant,
    time_entry_id: Uuid,
    patch: &TimeEntryPatch<'_>,
    now: OffsetDateTime,
) -> Result<Option<TimeEntry>, StoreError> {
    require(grant, Action::TimeEntryUpdate)?;
    require(read, Action::TimeEntryRead)?;
    let q = [
        concat!(
            "UPDATE time_entry x SET minutes = COALESCE($5, x.minutes), \
             spent_on = COALESCE($6, x.spent_on), note = COALESCE($7, x.note), \
             billable_rate_cents = CASE WHEN $8 THEN $9 ELSE x.billable_rate_cents END, \
             updated_at = $10 FROM card c JOIN board b ON b.board_id = c.board_id \
             WHERE x.time_entry_id = $3 AND c.card_id = x.card_id \
             AND (NOT $4::bool OR x.author_id = $2) AND ",
            visible!()
        ),
        RETURNING,
    ]
    .concat();
    Ok(sqlx::query_as(&q)
        .bind(read.sees_all_boards())
        .bind(grant.principal_id())
        .bind(time_entry_id)
        .bind(grant.own_only())
        .bind(patch.minutes)
        .bind(patch.spent_on)
        .bind(patch.note)
        .bind(patch.billable_rate_cents.is_some())
        .bind(patch.billable_rate_cents.flatten())
        .bind(now)
        .fetch_optional(tx.conn())
        .await?)
}

/// Deletes an entry the grant reaches (see [`update`] for the two grants);
/// false when there is none.
pub async fn delete(
    tx: &mut TenantTx,
    grant: &Grant,
    read: &Grant,
    time_entry_id: Uuid,
) -> Result<bool, StoreError> {
    require(grant, Action::TimeEntryDelete)?;
    require(read, Action::TimeEntryRead)?;
    delete_authored(
        tx,
        grant,
        read,
        delete_authored_sql!("time_entry", "time_entry_id"),
        time_entry_id,
    )
    .await
}
