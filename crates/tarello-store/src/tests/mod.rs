//! Store tests against a real PostgreSQL (the test kit's cluster, a fresh
//! database each). They live inside the crate because they use the tenant
//! connection, which is private to it.

mod audit;
mod history;
mod identity;
mod isolation;
mod keys;
mod migrations;

use tarello_crypto::{KekSet, SecretString};
use tarello_domain::Slug;
use tarello_testkit::TestDb;
use time::OffsetDateTime;

use crate::migrate::{self, MigrationSet};
use crate::{Db, DbOptions, NoProgress, Workspace};

pub(crate) struct Env {
    pub tdb: TestDb,
    pub db: Db,
    pub keks: KekSet,
    pub kek_text: SecretString,
}

pub(crate) fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

pub(crate) fn new_kek_text() -> SecretString {
    KekSet::generate_key_text()
}

/// A fresh database, migrated, with a KEK checked in.
pub(crate) async fn env_with_pool(pool_size: u32) -> Env {
    let tdb = tarello_testkit::fresh_database().await;
    let db = Db::connect_lazy(&DbOptions {
        admin: tdb.admin.clone(),
        app: tdb.app.clone(),
        app_password: None,
        pool_size,
    })
    .unwrap();
    migrate::migrate(&db, &MigrationSet::builtin(), 2, None, &NoProgress)
        .await
        .unwrap();
    let kek_text = new_kek_text();
    let keks = KekSet::parse(kek_text.expose()).unwrap();
    crate::keyring::verify_kek(&db, &keks, now()).await.unwrap();
    Env {
        tdb,
        db,
        keks,
        kek_text,
    }
}

pub(crate) async fn env() -> Env {
    env_with_pool(4).await
}

impl Env {
    pub async fn workspace(&self, slug: &str) -> Workspace {
        crate::create_workspace(
            &self.db,
            &self.keks,
            &MigrationSet::builtin(),
            &Slug::parse(slug).unwrap(),
            slug,
            now(),
        )
        .await
        .unwrap()
    }
}

/// The SQLSTATE of a store error, if it came from PostgreSQL.
pub(crate) fn sqlstate(e: &crate::StoreError) -> Option<String> {
    match e {
        crate::StoreError::Db(sqlx::Error::Database(d)) => d.code().map(|c| c.into_owned()),
        _ => None,
    }
}

/// A progress sink that signals `stop` once `after` units are done: tests
/// use it to cut a long operation off midway, as a kill would.
pub(crate) struct StopAfter {
    after: u64,
    seen: std::sync::atomic::AtomicU64,
    pub stop: tokio::sync::Notify,
}

impl StopAfter {
    pub fn new(after: u64) -> StopAfter {
        StopAfter {
            after,
            seen: std::sync::atomic::AtomicU64::new(0),
            stop: tokio::sync::Notify::new(),
        }
    }
}

impl crate::Progress for StopAfter {
    fn start(&self, _: &str, _: u64) {}
    fn advance(&self, n: u64) {
        let seen = self.seen.fetch_add(n, std::sync::atomic::Ordering::SeqCst) + n;
        if seen >= self.after {
            self.stop.notify_one();
        }
    }
    fn finish(&self, _: &str) {}
}

/// An admin's grant for `action` (store tests act as a workspace admin).
pub(crate) fn admin(action: tarello_domain::policy::Action) -> tarello_domain::policy::Grant {
    use tarello_domain::policy::{Lane, Principal, Role, authorize};
    authorize(
        Principal::Member {
            id: uuid::Uuid::nil(),
            role: Role::Admin,
            lane: Lane::Human,
        },
        action,
    )
    .unwrap()
}

pub(crate) async fn insert_board(tx: &mut crate::TenantTx, id: uuid::Uuid, name: &str) {
    use crate::repo::board;
    let b = board::NewBoard {
        board_id: id,
        name,
        description: "",
        visibility: "workspace",
        public_id: None,
    };
    board::create(
        tx,
        &admin(tarello_domain::policy::Action::BoardCreate),
        &b,
        now(),
    )
    .await
    .unwrap();
}

pub(crate) async fn list_boards(tx: &mut crate::TenantTx) -> Vec<crate::repo::board::Board> {
    crate::repo::board::list(
        tx,
        &admin(tarello_domain::policy::Action::BoardRead),
        None,
        200,
    )
    .await
    .unwrap()
}
