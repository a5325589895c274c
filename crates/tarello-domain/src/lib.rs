//! Pure domain types for Tarello: typed ids and validated values.
//!
//! Nothing here does IO. Handlers and the CLI parse raw input into these
//! types at the edge, so no raw string crosses a crate boundary.
#![forbid(unsafe_code)]

mod ids;
pub mod policy;
pub mod rank;
mod slug;

pub use ids::WorkspaceId;
pub use slug::{Slug, SlugError};
