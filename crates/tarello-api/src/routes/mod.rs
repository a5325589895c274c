//! One router per resource.

pub mod auth;
pub mod boards;
pub mod cards;
pub mod lists;
pub mod me;
pub mod public;
pub mod workspaces;
