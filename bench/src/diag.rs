//! Where creation and migration time goes as workspaces accumulate: the
//! statements of the store's per-workspace grant script, timed one by one as
//! the owner inside a transaction that is rolled back.
//!
//! `GRANT … ON ALL TABLES IN SCHEMA` finds the schema's tables by scanning
//! `pg_class`; granting on named tables looks them up by name. Timing both
//! (and `GRANT <role> TO <app>`) at each level shows which cost grows with
//! the number of workspaces.

use std::time::{Duration, Instant};

use sqlx::PgPool;
use tarello_store::Workspace;

use crate::stats::Summary;

#[derive(Debug)]
pub struct Grants {
    pub present: u64,
    pub pg_class_rows: i64,
    pub all_tables: Summary,
    pub all_sequences: Summary,
    pub named_tables: Summary,
    pub role_to_app: Summary,
}

pub async fn grants(
    owner: &PgPool,
    ws: &Workspace,
    app_role: &str,
    present: u64,
    n: usize,
) -> anyhow::Result<Grants> {
    let (s, r) = (&ws.schema_name, &ws.role_name);
    let statements = [
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}"),
        format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON {s}.board, {s}.integration TO {r}"),
        format!("GRANT {r} TO {app_role}"),
    ];
    let mut times: [Vec<Duration>; 4] = Default::default();
    for i in 0..n + 5 {
        let mut tx = owner.begin().await?;
        for (k, sql) in statements.iter().enumerate() {
            let t = Instant::now();
            sqlx::raw_sql(sql).execute(&mut *tx).await?;
            if i >= 5 {
                times[k].push(t.elapsed());
            }
        }
        tx.rollback().await?;
    }
    let pg_class_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_class")
        .fetch_one(owner)
        .await?;
    let s = |v: &[Duration]| Summary::of(v).ok_or_else(|| anyhow::anyhow!("no samples"));
    Ok(Grants {
        present,
        pg_class_rows,
        all_tables: s(&times[0])?,
        all_sequences: s(&times[1])?,
        named_tables: s(&times[2])?,
        role_to_app: s(&times[3])?,
    })
}
