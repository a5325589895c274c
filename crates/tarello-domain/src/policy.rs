//! The one place that decides permissions: a declarative table of
//! (action → lowest role, human only?) read by [`authorize`], which returns
//! a [`Grant`] (the proof writes require) or a [`Denied`] saying why.
//! Pure: no IO. The work-model actions join this table as they are built.

use std::fmt;

/// A member's role, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Observer,
    Member,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "observer" => Some(Role::Observer),
            "member" => Some(Role::Member),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Observer => "observer",
            Role::Member => "member",
            Role::Admin => "admin",
        }
    }
}

/// How the caller authenticated: a person's session, or a machine token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lane {
    Human,
    Machine,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    WorkspaceRead,
    WorkspaceSettingsUpdate,
    MemberList,
    MemberManage,
    ApiTokenList,
    ApiTokenCreate,
    ApiTokenRevoke,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::WorkspaceRead,
        Action::WorkspaceSettingsUpdate,
        Action::MemberList,
        Action::MemberManage,
        Action::ApiTokenList,
        Action::ApiTokenCreate,
        Action::ApiTokenRevoke,
    ];
}

/// (lowest role, must a human do it?)
const fn rule(action: Action) -> (Role, bool) {
    match action {
        Action::WorkspaceRead | Action::MemberList => (Role::Observer, false),
        // Settings, members and credentials: only admins, and only people.
        Action::WorkspaceSettingsUpdate
        | Action::MemberManage
        | Action::ApiTokenList
        | Action::ApiTokenCreate
        | Action::ApiTokenRevoke => (Role::Admin, true),
    }
}

/// Proof that `action` was authorized for this caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub action: Action,
    pub role: Role,
    pub lane: Lane,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// The role is too low.
    Role { needed: Role },
    /// A machine token tried something that must be attributed to a person.
    HumanOnly,
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Denied::Role { needed } => write!(f, "this needs the {} role", needed.as_str()),
            Denied::HumanOnly => f.write_str("machine tokens may not do this; a person must"),
        }
    }
}

pub fn authorize(role: Role, lane: Lane, action: Action) -> Result<Grant, Denied> {
    let (needed, human_only) = rule(action);
    if human_only && lane == Lane::Machine {
        return Err(Denied::HumanOnly);
    }
    if role < needed {
        return Err(Denied::Role { needed });
    }
    Ok(Grant { action, role, lane })
}

#[cfg(test)]
mod tests {
    use super::*;

    // proves: RBAC-6
    #[test]
    fn the_whole_matrix() {
        let roles = [Role::Observer, Role::Member, Role::Admin];
        for action in Action::ALL {
            for role in roles {
                for lane in [Lane::Human, Lane::Machine] {
                    let got = authorize(role, lane, action);
                    let expected_ok = match action {
                        Action::WorkspaceRead | Action::MemberList => true,
                        Action::WorkspaceSettingsUpdate
                        | Action::MemberManage
                        | Action::ApiTokenList
                        | Action::ApiTokenCreate
                        | Action::ApiTokenRevoke => role == Role::Admin && lane == Lane::Human,
                    };
                    assert_eq!(got.is_ok(), expected_ok, "{role:?} {lane:?} {action:?}");
                    if lane == Lane::Machine && !expected_ok && role == Role::Admin {
                        assert_eq!(got, Err(Denied::HumanOnly));
                    }
                }
            }
        }
    }
}
