//! One router per resource.

pub mod auth;
pub mod me;
pub mod workspaces;
