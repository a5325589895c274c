//! Repositories over tenant tables. Each takes a [`crate::TenantTx`]: there
//! is no way to call them without a workspace's role and schema in force.
//! Queries name their columns (never `SELECT *`) so a cached statement keeps
//! its result shape when workspaces are on different schema versions.

pub mod attachment;
pub mod board;
pub mod capability;
pub mod card;
pub mod comment;
pub mod export;
pub mod history;
pub mod integration;
pub mod list;
mod scope;
pub mod tag;
pub mod target;
pub mod time_entry;
pub mod viewer;

pub use scope::MAX_PAGE;
