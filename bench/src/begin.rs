//! What a tenant transaction costs over a plain one.
//!
//! - `TenantTx::begin` sends `BEGIN; SET LOCAL ROLE ..; SET LOCAL search_path
//!   TO ..` as one simple-protocol message on the app role's pool; the plain
//!   side sends `BEGIN` on a separate pool of the same app role. Both commit.
//! - With a read: the tenant side runs `repo::board::list` (a prepared
//!   `SELECT board_id, name, created_at FROM board ORDER BY board_id`); the
//!   plain side runs the same statement schema-qualified as the owner
//!   (superuser) role, which the app role may not do.
//!
//! Sequential figures alternate tenant and plain operation by operation (so
//! drift hits both) and time each one. The concurrent figure runs 4 tasks on
//! a pool of 4 and divides wall time by operations.

use std::time::{Duration, Instant};

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tarello_domain::policy::{Action, Grant, Lane, Principal, Role, authorize};
use tarello_store::{Db, TenantTx, Workspace, repo};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::stats::Summary;

const WARMUP: u64 = 200;
pub const POOL: u32 = 4;

#[derive(Debug)]
pub struct Pair {
    pub label: String,
    pub tenant: Summary,
    pub plain: Summary,
    pub detail: String,
}

#[derive(Debug)]
pub struct Throughput {
    pub ops: u64,
    pub tenant: Duration,
    pub plain: Duration,
}

#[derive(Debug, Clone)]
pub struct Pools {
    pub db: Db,
    /// Same options as the store's app pool, plain transactions.
    pub app: PgPool,
    /// The owner role, for schema-qualified reads.
    pub owner: PgPool,
}

impl Pools {
    pub fn new(db: &Db, tdb: &tarello_testkit::TestDb) -> Pools {
        let pool = |o: &sqlx::postgres::PgConnectOptions| {
            PgPoolOptions::new()
                .max_connections(POOL)
                .connect_lazy_with(o.clone())
        };
        Pools {
            db: db.clone(),
            app: pool(&tdb.app),
            owner: pool(&tdb.admin),
        }
    }
}

async fn tenant_begin_commit(p: &Pools, ws: &Workspace) -> anyhow::Result<()> {
    TenantTx::begin(&p.db, ws.id, &tarello_store::Actor::system())
        .await?
        .commit()
        .await?;
    Ok(())
}

async fn plain_begin_commit(p: &Pools) -> anyhow::Result<()> {
    p.app.begin().await?.commit().await?;
    Ok(())
}

async fn tenant_list(p: &Pools, ws: &Workspace) -> anyhow::Result<usize> {
    let mut tx = TenantTx::begin(&p.db, ws.id, &tarello_store::Actor::system()).await?;
    let n = repo::board::list(&mut tx, &admin(Action::BoardRead), None, 200)
        .await?
        .len();
    tx.commit().await?;
    Ok(n)
}

/// `persistent`: a named prepared statement cached on the connection (same
/// schema over and over) or an unnamed one (a new schema each time).
async fn plain_list(p: &Pools, ws: &Workspace, persistent: bool) -> anyhow::Result<usize> {
    let sql = format!(
        "SELECT board_id, name, created_at FROM {}.board ORDER BY board_id",
        ws.schema_name
    );
    let mut tx = p.owner.begin().await?;
    let rows: Vec<(Uuid, String, OffsetDateTime)> = sqlx::query_as(&sql)
        .persistent(persistent)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(rows.len())
}

#[derive(Debug, Clone, Copy)]
enum Op {
    BeginCommit,
    List,
    ListCold,
}

async fn one(p: &Pools, op: Op, tenant: bool, ws: &Workspace) -> anyhow::Result<Duration> {
    let t = Instant::now();
    match (op, tenant) {
        (Op::BeginCommit, true) => tenant_begin_commit(p, ws).await?,
        (Op::BeginCommit, false) => plain_begin_commit(p).await?,
        (Op::List | Op::ListCold, true) => {
            tenant_list(p, ws).await?;
        }
        (Op::List, false) => {
            plain_list(p, ws, true).await?;
        }
        (Op::ListCold, false) => {
            plain_list(p, ws, false).await?;
        }
    }
    Ok(t.elapsed())
}

async fn paired(
    p: &Pools,
    op: Op,
    targets: &[Workspace],
    n: u64,
    warmup: u64,
) -> anyhow::Result<(Summary, Summary)> {
    let mut tenant = Vec::new();
    let mut plain = Vec::new();
    for i in 0..warmup + n {
        let ws = &targets[(i as usize) % targets.len()];
        // Alternate which side goes first.
        let (t, q) = if i.is_multiple_of(2) {
            let t = one(p, op, true, ws).await?;
            (t, one(p, op, false, ws).await?)
        } else {
            let q = one(p, op, false, ws).await?;
            (one(p, op, true, ws).await?, q)
        };
        if i >= warmup {
            tenant.push(t);
            plain.push(q);
        }
    }
    let s = |v: &[Duration]| Summary::of(v).ok_or_else(|| anyhow::anyhow!("no samples"));
    Ok((s(&tenant)?, s(&plain)?))
}

/// 4 tasks, `n` begin+commit in all, per side; two rounds per side, alternating.
async fn concurrent(p: &Pools, ws: &Workspace, n: u64) -> anyhow::Result<Throughput> {
    let per_task = (n / u64::from(POOL)).max(1);
    let mut tenant = Duration::ZERO;
    let mut plain = Duration::ZERO;
    for round in 0u32..4 {
        let is_tenant = !round.is_multiple_of(2);
        let t = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..POOL {
            let p = p.clone();
            let ws = ws.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..per_task {
                    if is_tenant {
                        tenant_begin_commit(&p, &ws).await?;
                    } else {
                        plain_begin_commit(&p).await?;
                    }
                }
                Ok::<(), anyhow::Error>(())
            }));
        }
        for task in tasks {
            task.await??;
        }
        if is_tenant {
            tenant += t.elapsed();
        } else {
            plain += t.elapsed();
        }
    }
    Ok(Throughput {
        ops: per_task * u64::from(POOL) * 2,
        tenant,
        plain,
    })
}

/// The bench acts as a workspace admin.
fn admin(action: Action) -> Grant {
    let me = Principal::Member {
        id: Uuid::nil(),
        role: Role::Admin,
        lane: Lane::Human,
    };
    match authorize(me, action) {
        Ok(g) => g,
        Err(_) => unreachable!("admins may do {action:?}"),
    }
}

pub async fn figures(
    p: &Pools,
    hot: &Workspace,
    many: &[Workspace],
    n: u64,
) -> anyhow::Result<(Vec<Pair>, Throughput)> {
    // A few rows so the read returns something.
    let mut tx = TenantTx::begin(&p.db, hot.id, &tarello_store::Actor::system()).await?;
    for i in 0..5 {
        let name = format!("Board {i}");
        let b = repo::board::NewBoard {
            board_id: Uuid::now_v7(),
            name: &name,
            description: "",
            visibility: "workspace",
            public_id: None,
        };
        repo::board::create(
            &mut tx,
            &admin(Action::BoardCreate),
            &b,
            OffsetDateTime::now_utc(),
        )
        .await?;
    }
    tx.commit().await?;

    let one_ws = std::slice::from_ref(hot);
    let mut pairs = Vec::new();
    eprintln!("begin overhead: begin+commit, one workspace");
    let (t, q) = paired(p, Op::BeginCommit, one_ws, n, WARMUP).await?;
    pairs.push(Pair {
        label: "begin+commit, one workspace".into(),
        tenant: t,
        plain: q,
        detail: "plain = `BEGIN` on a pool of the same app role".into(),
    });
    eprintln!("begin overhead: begin+read+commit, one workspace");
    let (t, q) = paired(p, Op::List, one_ws, n, WARMUP).await?;
    pairs.push(Pair {
        label: "begin+board list (5 rows)+commit, one workspace".into(),
        tenant: t,
        plain: q,
        detail: "plain = same SELECT schema-qualified, as the owner role".into(),
    });
    eprintln!(
        "begin overhead: begin+read+commit over {} workspaces",
        many.len()
    );
    let (t, q) = paired(p, Op::ListCold, many, n, 0).await?;
    pairs.push(Pair {
        label: format!(
            "begin+board list+commit, a different workspace each time ({} workspaces)",
            many.len()
        ),
        tenant: t,
        plain: q,
        detail: if many.len() as u64 >= n {
            "each schema touched for the first time on the connection; plain uses unnamed statements"
                .into()
        } else {
            format!(
                "cycling: each schema used about {} times, only the first cold; plain uses unnamed statements",
                n.div_ceil(many.len() as u64)
            )
        },
    });
    eprintln!("begin overhead: begin+commit, 4 concurrent tasks");
    let thr = concurrent(p, hot, n).await?;
    Ok((pairs, thr))
}
