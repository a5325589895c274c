//! Typed ids. Ids are UUIDv7 made by the application (time-ordered, so
//! indexes stay compact; no volatile default in the database).

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The id of a workspace (a tenant). The schema and role names are derived
/// from it, never from anything a user typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WorkspaceId(pub Uuid);

impl WorkspaceId {
    pub fn new_v7() -> Self {
        Self(Uuid::now_v7())
    }

    /// `t_<32 hex>`: the workspace's schema. Only `[a-z0-9_]`, so it needs no
    /// quoting, and it is the same for every input a user could give.
    pub fn schema_name(&self) -> String {
        format!("t_{}", self.0.simple())
    }

    /// `tr_<32 hex>`: the workspace's NOLOGIN database role.
    pub fn role_name(&self) -> String {
        format!("tr_{}", self.0.simple())
    }
}

impl fmt::Display for WorkspaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_identifiers() {
        let id = WorkspaceId::new_v7();
        for name in [id.schema_name(), id.role_name()] {
            assert!(
                name.len() <= 63,
                "PostgreSQL truncates identifiers at 63 bytes"
            );
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            );
        }
        assert_ne!(id.schema_name(), WorkspaceId::new_v7().schema_name());
    }
}
