//! The only crate that speaks SQL.
//!
//! Invariants this crate keeps:
//! - Tenant tables are reached only through [`TenantTx`], which opens a
//!   transaction with `SET LOCAL ROLE` and `SET LOCAL search_path` for one
//!   workspace. Nothing survives on a pooled connection after it ends.
//! - The application's login role is NOINHERIT and its default `search_path`
//!   is `pg_catalog`: outside a tenant transaction no tenant table resolves,
//!   and a schema-qualified name is refused with permission denied.
//! - Control-plane SQL is always schema-qualified (`control.workspace`).
//! - Schema and role names come from [`tarello_domain::WorkspaceId`], never
//!   from user input.
#![forbid(unsafe_code)]

pub mod audit;
mod db;
mod error;
pub mod file_token;
mod ident;
pub mod identity;
pub mod keyring;
pub mod migrate;
pub mod progress;
mod provision;
pub mod public_board;
pub mod repo;
mod tenant;
mod workspace;

#[cfg(test)]
mod tests;

pub use db::{Db, DbOptions, ensure_database};
pub use error::StoreError;
pub use progress::{NoProgress, Progress};
pub use provision::create_workspace;
pub use sqlx::postgres::PgConnectOptions;
pub use tenant::{Actor, TenantTx};
pub use workspace::{
    Settings, SettingsPatch, Workspace, find_workspace, find_workspace_by_id, list_workspaces,
    requires_2fa, set_require_2fa, settings, timezone_exists, update_settings,
};
