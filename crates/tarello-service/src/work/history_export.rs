//! `GET /workspaces/{ws}/history/export?format=csv|json`: the whole filtered
//! history as one download, for admins in person, on the business plan.
//!
//! Every check (role, lane, plan, filters) and the tenant transaction happen
//! before the response starts; after that an error can only cut the body
//! short. A task owns the transaction for as long as the body lasts: it
//! reads rows as PostgreSQL streams them, encodes [`CHUNK_ROWS`] at a time
//! and hands the bytes to the body through a small bounded channel, so the
//! memory used does not grow with the history, and a client that stops
//! reading stops the query (the channel fills, then closes).

use std::io;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use serde::Deserialize;
use tarello_domain::policy::{Action, Grant};
use tarello_store::TenantTx;
use tarello_store::repo::history::{self, Event};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::{HistoryEvent, HistoryQuery};
use crate::{Caller, ServiceError, Services};

/// Rows per chunk sent to the client.
const CHUNK_ROWS: usize = 500;
/// Chunks waiting for the client at most.
const CHANNEL_CHUNKS: usize = 4;
/// The plan that includes the export.
const PLAN: &str = "business";
/// Exports running at once in this process: each holds a connection and a
/// transaction for as long as its download lasts.
static RUNNING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
/// A client that takes no chunk for this long is dropped, which ends the
/// transaction (a stalled download must not hold it open).
const STALL: std::time::Duration = std::time::Duration::from_secs(60);

/// `csv` (RFC 4180, with a header line) or `json` (one array of the same
/// events as `GET /history`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Csv,
    Json,
}

impl ExportFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Json => "application/json",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
        }
    }
}

/// The filters of `GET /history` (no cursor: the export is everything) and
/// the format.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryExportQuery {
    #[param(inline)]
    pub format: ExportFormat,
    /// As for `GET /history`.
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    /// RFC 3339; events at or after.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<OffsetDateTime>,
    /// RFC 3339; events before.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub until: Option<OffsetDateTime>,
}

impl HistoryExportQuery {
    fn history(&self) -> HistoryQuery {
        HistoryQuery {
            entity_type: self.entity_type.clone(),
            entity_id: self.entity_id,
            actor_id: self.actor_id,
            action: self.action.clone(),
            since: self.since,
            until: self.until,
            cursor: None,
            limit: None,
        }
    }
}

/// What the export route sends.
pub struct Export {
    pub filename: String,
    pub format: ExportFormat,
    /// Ends with an error (the response is cut short) if reading fails.
    pub body: BoxStream<'static, io::Result<Bytes>>,
}

impl std::fmt::Debug for Export {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Export")
            .field("filename", &self.filename)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl Services {
    pub async fn history_export(
        &self,
        caller: &Caller,
        q: &HistoryExportQuery,
    ) -> Result<Export, ServiceError> {
        let grant = caller.authorize(Action::HistoryExport)?;
        let plan = tarello_store::settings(&self.db, caller.workspace.id)
            .await?
            .plan;
        if plan != PLAN {
            return Err(ServiceError::PlanRequired {
                needed: PLAN,
                current: plan,
            });
        }
        let query = q.history();
        query.filter()?;
        let running = RUNNING.try_acquire().map_err(|_| ServiceError::Throttled {
            retry_after_secs: 30,
        })?;
        let tx = self.tenant(caller).await?;
        let (send, mut recv) = mpsc::channel(CHANNEL_CHUNKS);
        let format = q.format;
        tokio::spawn(async move {
            let _running = running;
            if let Err(e) = pump(tx, grant, &query, format, &send).await {
                tracing::error!(error = %e, "the history export stopped");
                let _ = send.send(Err(io::Error::other("the export stopped"))).await;
            }
        });
        let body = futures::stream::poll_fn(move |cx| recv.poll_recv(cx)).boxed();
        let date = self.clock.now().date();
        Ok(Export {
            filename: format!(
                "history-{}-{date}.{}",
                caller.workspace.slug,
                format.extension()
            ),
            format,
            body,
        })
    }
}

/// Reads, encodes and sends; returns early (Ok) when the client has gone.
async fn pump(
    mut tx: TenantTx,
    grant: Grant,
    query: &HistoryQuery,
    format: ExportFormat,
    send: &mpsc::Sender<io::Result<Bytes>>,
) -> Result<(), ServiceError> {
    let filter = query.filter()?;
    let mut buf = Vec::with_capacity(64 * 1024);
    match format {
        ExportFormat::Csv => csv_header(&mut buf),
        ExportFormat::Json => buf.push(b'['),
    }
    let mut rows = history::stream(&mut tx, &grant, &filter)?;
    let mut n = 0usize;
    while let Some(event) = rows.next().await {
        let event = event?;
        match format {
            ExportFormat::Csv => csv_row(&event, &mut buf),
            ExportFormat::Json => {
                if n > 0 {
                    buf.push(b',');
                }
                buf.push(b'\n');
                serde_json::to_writer(&mut buf, &HistoryEvent::from(event))
                    .map_err(|e| ServiceError::Internal(e.to_string()))?;
            }
        }
        n += 1;
        if n.is_multiple_of(CHUNK_ROWS) && !deliver(send, take(&mut buf)).await {
            return Ok(());
        }
    }
    drop(rows);
    if format == ExportFormat::Json {
        buf.extend_from_slice(b"\n]\n");
    }
    tx.commit().await?;
    deliver(send, take(&mut buf)).await;
    Ok(())
}

/// Hands a chunk to the body; false when the client has gone or stalled.
async fn deliver(send: &mpsc::Sender<io::Result<Bytes>>, chunk: Bytes) -> bool {
    matches!(
        tokio::time::timeout(STALL, send.send(Ok(chunk))).await,
        Ok(Ok(()))
    )
}

fn take(buf: &mut Vec<u8>) -> Bytes {
    Bytes::from(std::mem::replace(buf, Vec::with_capacity(64 * 1024)))
}

const COLUMNS: [&str; 14] = [
    "seq",
    "at",
    "actor_kind",
    "actor_id",
    "action",
    "entity_type",
    "entity_id",
    "card_id",
    "board_id",
    "before",
    "after",
    "request_id",
    "client_ip",
    "user_agent",
];

fn csv_header(out: &mut Vec<u8>) {
    for (i, c) in COLUMNS.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(c.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

fn csv_row(e: &Event, out: &mut Vec<u8>) {
    let id = |v: Option<Uuid>| v.map(|u| u.to_string()).unwrap_or_default();
    let json =
        |v: &Option<serde_json::Value>| v.as_ref().map(|j| j.to_string()).unwrap_or_default();
    let at =
        e.at.to_offset(time::UtcOffset::UTC)
            .format(&Rfc3339)
            .unwrap_or_default();
    let fields = [
        e.seq.to_string(),
        at,
        e.actor_kind.clone(),
        id(e.actor_id),
        e.action.clone(),
        e.entity_type.clone(),
        e.entity_id.to_string(),
        id(e.card_id),
        id(e.board_id),
        json(&e.before),
        json(&e.after),
        e.request_id.clone().unwrap_or_default(),
        e.client_ip.clone().unwrap_or_default(),
        e.user_agent.clone().unwrap_or_default(),
    ];
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        csv_field(f, out);
    }
    out.extend_from_slice(b"\r\n");
}

/// One RFC 4180 field. A value a spreadsheet would run as a formula
/// (starting with `=`, `+`, `-`, `@`, tab or carriage return) gets a
/// leading `'` so it opens as text.
fn csv_field(v: &str, out: &mut Vec<u8>) {
    let formula = v.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = v.contains([',', '"', '\r', '\n']);
    if quote {
        out.push(b'"');
    }
    if formula {
        out.push(b'\'');
    }
    for b in v.bytes() {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    if quote {
        out.push(b'"');
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    fn field(v: &str) -> String {
        let mut out = Vec::new();
        csv_field(v, &mut out);
        String::from_utf8(out).unwrap()
    }

    // proves: AUD-5
    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field(""), "");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\r\nlines"), "\"two\r\nlines\"");
        assert_eq!(
            field("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        for lead in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(
                field(lead).trim_start_matches('"').starts_with('\''),
                "{lead:?}"
            );
        }
        assert_eq!(field("{\"a\":1}"), "\"{\"\"a\"\":1}\"");
    }
}
