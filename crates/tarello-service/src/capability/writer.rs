//! The capability log's writer: one background task that batches rows per
//! workspace and appends each batch with one statement, every
//! [`INTERVAL`] or [`BATCH`] rows, whichever comes first.
//!
//! Durability: the log is written after the call answered, so a `kill -9`
//! loses at most the rows of the last flush interval (about 100 ms of
//! calls). Data changes do not depend on it: their history is written in
//! the change's own transaction. A graceful shutdown flushes everything
//! ([`crate::Services::flush_capability_log`]). A full queue makes callers
//! wait (backpressure) instead of dropping rows.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;
use std::time::Duration;

use tarello_domain::WorkspaceId;
use tarello_store::identity::events;
use tarello_store::repo::capability::{self, Entry};
use tarello_store::{Actor, Db, StoreError, TenantTx};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use uuid::Uuid;

use super::AccountEvent;
use super::flood::Flood;

const QUEUE: usize = 10_000;
const BATCH: usize = 500;
const INTERVAL: Duration = Duration::from_millis(100);

enum Msg {
    Call(WorkspaceId, Entry),
    Account(AccountEvent),
    Flush(oneshot::Sender<()>),
}

/// The queue's sending end; the task starts with the first row (inside
/// the server's runtime).
#[derive(Debug)]
pub(crate) struct CallLog {
    db: Db,
    queue: OnceLock<mpsc::Sender<Msg>>,
}

impl CallLog {
    pub(crate) fn new(db: Db) -> CallLog {
        CallLog {
            db,
            queue: OnceLock::new(),
        }
    }

    fn sender(&self) -> &mpsc::Sender<Msg> {
        self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(run(self.db.clone(), rx));
            tx
        })
    }

    async fn send(&self, msg: Msg) {
        if self.sender().send(msg).await.is_err() {
            tracing::error!("the capability log writer has stopped; a row is lost");
        }
    }

    pub(crate) async fn call(&self, ws: WorkspaceId, entry: Entry) {
        self.send(Msg::Call(ws, entry)).await;
    }

    pub(crate) async fn account(&self, e: AccountEvent) {
        self.send(Msg::Account(e)).await;
    }

    pub(crate) async fn flush(&self) {
        let Some(queue) = self.queue.get() else {
            return;
        };
        let (ack, done) = oneshot::channel();
        if queue.send(Msg::Flush(ack)).await.is_ok() {
            let _ = done.await;
        }
    }
}

#[derive(Default)]
struct Pending {
    calls: BTreeMap<WorkspaceId, Vec<Entry>>,
    accounts: Vec<AccountEvent>,
    rows: usize,
}

async fn run(db: Db, mut rx: mpsc::Receiver<Msg>) {
    let mut pending = Pending::default();
    let mut flood = Flood::default();
    let mut deadline = Instant::now() + INTERVAL;
    loop {
        for (ws, e) in flood.due(Some(Instant::now())) {
            pending.calls.entry(ws).or_default().push(e);
            pending.rows += 1;
        }
        let msg = if pending.rows == 0 {
            rx.recv().await
        } else {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(msg) => msg,
                Err(_) => {
                    write(&db, std::mem::take(&mut pending)).await;
                    continue;
                }
            }
        };
        let Some(msg) = msg else {
            // Every sender is gone: the server is stopping.
            for (ws, e) in flood.due(None) {
                pending.calls.entry(ws).or_default().push(e);
            }
            write(&db, pending).await;
            return;
        };
        if pending.rows == 0 {
            deadline = Instant::now() + INTERVAL;
        }
        match msg {
            Msg::Call(ws, entry) => {
                if flood.admit(ws, &entry, Instant::now()) {
                    pending.calls.entry(ws).or_default().push(entry);
                    pending.rows += 1;
                }
            }
            Msg::Account(e) => {
                pending.accounts.push(e);
                pending.rows += 1;
            }
            Msg::Flush(ack) => {
                // Flushing is for a stop: the flood counts go out too.
                for (ws, e) in flood.due(None) {
                    pending.calls.entry(ws).or_default().push(e);
                }
                write(&db, std::mem::take(&mut pending)).await;
                let _ = ack.send(());
                continue;
            }
        }
        if pending.rows >= BATCH {
            write(&db, std::mem::take(&mut pending)).await;
        }
    }
}

/// Places the account events (one control query for all their users),
/// then appends each workspace's rows in one tenant transaction.
async fn write(db: &Db, mut p: Pending) {
    if let Err(err) = place_accounts(db, &mut p).await {
        tracing::error!(error = %err, rows = p.accounts.len(), "could not place account events in the capability log");
    }
    for (ws, rows) in p.calls {
        if let Err(err) = append(db, ws, &rows).await {
            tracing::error!(error = %err, workspace = %ws, rows = rows.len(), "could not write the capability log");
        }
    }
}

async fn place_accounts(db: &Db, p: &mut Pending) -> Result<(), StoreError> {
    let accounts = std::mem::take(&mut p.accounts);
    let mut users: Vec<Uuid> = accounts
        .iter()
        .filter(|e| e.workspace.is_none())
        .filter_map(|e| e.user)
        .collect();
    users.sort_unstable();
    users.dedup();
    let mut of_user: HashMap<Uuid, Vec<(Uuid, String)>> = HashMap::new();
    for (user, ws, role) in events::memberships_of(db, &users).await? {
        of_user.entry(user).or_default().push((ws, role));
    }
    for e in accounts {
        match (e.workspace, e.user) {
            // An event about one workspace stays in that workspace.
            (Some(ws), _) => p.calls.entry(WorkspaceId(ws)).or_default().push(e.entry),
            (None, Some(user)) => {
                for (ws, role) in of_user.get(&user).into_iter().flatten() {
                    let mut entry = e.entry.clone();
                    entry.role = Some(role.clone());
                    p.calls.entry(WorkspaceId(*ws)).or_default().push(entry);
                }
            }
            (None, None) => {}
        }
    }
    Ok(())
}

async fn append(db: &Db, ws: WorkspaceId, rows: &[Entry]) -> Result<(), StoreError> {
    let mut tx = TenantTx::begin(db, ws, &Actor::system()).await?;
    capability::append(&mut tx, rows).await?;
    tx.commit().await
}
