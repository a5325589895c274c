//! The one place that decides permissions.
//!
//! [`RULES`] is a declarative table: for each action, which role gets which
//! scope, whether a machine token may do it at all, and whether a public
//! visitor may. [`authorize`] reads it and returns a [`Grant`] — the proof
//! the store's methods require, carrying the principal and the scope the
//! SQL must filter by — or a [`Denied`] saying why. Pure: no IO.
//!
//! Scopes, narrowest first:
//! - `Own`: rows the principal authored;
//! - `Board`: rows on boards the principal can see (workspace-visible and
//!   public boards, and private boards they are a member of);
//! - `Workspace`: every row of the workspace;
//! - `Public`: read-only rows of public boards, for visitors with no login.

use std::fmt;

use uuid::Uuid;

/// A member's role, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Observer,
    Member,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Observer, Role::Member, Role::Admin];

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

impl Lane {
    pub fn as_str(self) -> &'static str {
        match self {
            Lane::Human => "human",
            Lane::Machine => "machine",
        }
    }
}

/// Which rows an action reaches; see the module doc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Public,
    Own,
    Board,
    Workspace,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Public => "public",
            Scope::Own => "own",
            Scope::Board => "board",
            Scope::Workspace => "workspace",
        }
    }
}

macro_rules! actions {
    ($($name:ident => $label:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action { $($name,)* }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$name,)*];

            /// A stable name for logs and the audit trail.
            pub fn as_str(self) -> &'static str {
                match self { $(Action::$name => $label,)* }
            }
        }
    };
}

actions! {
    WorkspaceRead => "workspace.read",
    WorkspaceSettingsUpdate => "workspace.settings.update",
    MemberList => "member.list",
    MemberManage => "member.manage",
    InvitationCreate => "invitation.create",
    ApiTokenList => "api_token.list",
    ApiTokenCreate => "api_token.create",
    ApiTokenRevoke => "api_token.revoke",
    BoardRead => "board.read",
    BoardCreate => "board.create",
    BoardUpdate => "board.update",
    BoardDelete => "board.delete",
    BoardMemberManage => "board.member.manage",
    BoardExport => "board.export",
    ListCreate => "list.create",
    ListUpdate => "list.update",
    ListDelete => "list.delete",
    CardRead => "card.read",
    CardActivityRead => "card.activity.read",
    CardCreate => "card.create",
    CardUpdate => "card.update",
    CardDelete => "card.delete",
    CommentRead => "comment.read",
    CommentCreate => "comment.create",
    CommentUpdate => "comment.update",
    CommentDelete => "comment.delete",
    TagRead => "tag.read",
    TagCreate => "tag.create",
    CardTagAdd => "card.tag.add",
    CardTagRemove => "card.tag.remove",
    ViewerAdd => "card.viewer.add",
    ViewerRemove => "card.viewer.remove",
    TimeEntryRead => "time_entry.read",
    TimeEntryCreate => "time_entry.create",
    TimeEntryUpdate => "time_entry.update",
    TimeEntryDelete => "time_entry.delete",
    AttachmentRead => "attachment.read",
    AttachmentUpload => "attachment.upload",
    AttachmentDelete => "attachment.delete",
    HistoryRead => "history.read",
    HistoryExport => "history.export",
    SecurityLogRead => "security_log.read",
}

/// One row of the policy: `role` and every role above it get `scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub role: Role,
    pub scope: Scope,
}

/// One action's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Rows, lowest role first; a higher row widens the scope.
    pub rules: &'static [Rule],
    /// Must a person do it (machine tokens refused)?
    pub human_only: bool,
    /// May a visitor with no login do it (on public boards)?
    pub public: bool,
}

const fn p(rules: &'static [Rule], human_only: bool, public: bool) -> Policy {
    Policy {
        rules,
        human_only,
        public,
    }
}

const fn r(role: Role, scope: Scope) -> Rule {
    Rule { role, scope }
}

use Role::{Admin, Member, Observer};
use Scope::{Board, Own, Workspace};

const OBSERVER_WORKSPACE: &[Rule] = &[r(Observer, Workspace)];
const ADMIN_WORKSPACE: &[Rule] = &[r(Admin, Workspace)];
/// Read what one can see; admins see every board.
const READ_BOARDS: &[Rule] = &[r(Observer, Board), r(Admin, Workspace)];
/// Write on boards one can see; admins on every board.
const WRITE_BOARDS: &[Rule] = &[r(Member, Board), r(Admin, Workspace)];
/// Authors change their own; admins any.
const OWN_OR_ADMIN: &[Rule] = &[r(Member, Own), r(Admin, Workspace)];
const MEMBER_WORKSPACE: &[Rule] = &[r(Member, Workspace)];
const MEMBER_OWN: &[Rule] = &[r(Member, Own)];

/// The table. Private boards are for their members; admins, who manage
/// boards, see all of them.
pub const fn policy(action: Action) -> Policy {
    match action {
        Action::WorkspaceRead | Action::MemberList | Action::TagRead => {
            p(OBSERVER_WORKSPACE, false, false)
        }
        // Settings, members, invitations and credentials: admins, in person.
        Action::WorkspaceSettingsUpdate
        | Action::MemberManage
        | Action::InvitationCreate
        | Action::ApiTokenList
        | Action::ApiTokenCreate
        | Action::ApiTokenRevoke
        // The capability log shows who called what and from where: admins,
        // in person, like the credentials it is about.
        | Action::SecurityLogRead => p(ADMIN_WORKSPACE, true, false),
        // Board structure is the admins'.
        Action::BoardCreate
        | Action::BoardUpdate
        | Action::BoardDelete
        | Action::BoardMemberManage
        | Action::ListDelete
        | Action::HistoryRead => p(ADMIN_WORKSPACE, false, false),
        Action::BoardRead
        | Action::CardRead
        | Action::CommentRead
        | Action::TimeEntryRead
        | Action::AttachmentRead => p(READ_BOARDS, false, true),
        // A card's activity, for whoever can see the card; not on the public
        // page (it names the people who worked on it).
        Action::CardActivityRead => p(READ_BOARDS, false, false),
        // A bulk copy of the history (with client addresses): admins, in person.
        Action::HistoryExport => p(ADMIN_WORKSPACE, true, false),
        // A bulk copy of a board is for those who may write on it.
        Action::BoardExport => p(WRITE_BOARDS, false, false),
        Action::ListCreate
        | Action::ListUpdate
        | Action::CardCreate
        | Action::CardUpdate
        | Action::CardDelete
        | Action::CommentCreate
        | Action::CardTagAdd
        | Action::CardTagRemove
        | Action::ViewerAdd
        | Action::ViewerRemove
        | Action::TimeEntryCreate
        | Action::AttachmentUpload => p(WRITE_BOARDS, false, false),
        Action::TagCreate => p(MEMBER_WORKSPACE, false, false),
        // Authors edit their own words and time; nobody edits another's.
        Action::CommentUpdate | Action::TimeEntryUpdate => p(MEMBER_OWN, false, false),
        Action::CommentDelete | Action::TimeEntryDelete | Action::AttachmentDelete => {
            p(OWN_OR_ADMIN, false, false)
        }
    }
}

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    /// A workspace member (a person, or a machine token acting as one).
    Member { id: Uuid, role: Role, lane: Lane },
    /// Anyone on the internet, reading a public board.
    Public,
}

/// Proof that `action` was authorized, and for which rows. Only
/// [`authorize`] makes one: the fields are private.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    action: Action,
    scope: Scope,
    principal: Principal,
}

impl Grant {
    pub fn action(&self) -> Action {
        self.action
    }
    pub fn scope(&self) -> Scope {
        self.scope
    }
    pub fn principal(&self) -> Principal {
        self.principal
    }
    /// The member's id; `Uuid::nil()` for a public visitor.
    pub fn principal_id(&self) -> Uuid {
        match self.principal {
            Principal::Member { id, .. } => id,
            Principal::Public => Uuid::nil(),
        }
    }
    /// May the grant reach every board, private ones included?
    pub fn sees_all_boards(&self) -> bool {
        self.scope == Scope::Workspace
    }
    /// Is it limited to the principal's own rows?
    pub fn own_only(&self) -> bool {
        self.scope == Scope::Own
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// The role is too low.
    Role { needed: Role },
    /// A machine token tried something that must be attributed to a person.
    HumanOnly,
    /// A visitor without login tried something not public.
    NotPublic,
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Denied::Role { needed } => write!(f, "this needs the {} role", needed.as_str()),
            Denied::HumanOnly => f.write_str("machine tokens may not do this; a person must"),
            Denied::NotPublic => f.write_str("this needs a login"),
        }
    }
}

pub fn authorize(principal: Principal, action: Action) -> Result<Grant, Denied> {
    let policy = policy(action);
    let scope = match principal {
        Principal::Public if policy.public => Scope::Public,
        Principal::Public => return Err(Denied::NotPublic),
        Principal::Member { role, lane, .. } => {
            if policy.human_only && lane == Lane::Machine {
                return Err(Denied::HumanOnly);
            }
            match policy.rules.iter().rev().find(|rule| role >= rule.role) {
                Some(rule) => rule.scope,
                None => {
                    let needed = policy.rules.first().map_or(Role::Admin, |rule| rule.role);
                    return Err(Denied::Role { needed });
                }
            }
        }
    };
    Ok(Grant {
        action,
        scope,
        principal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(role: Role, lane: Lane) -> Principal {
        Principal::Member {
            id: Uuid::nil(),
            role,
            lane,
        }
    }

    /// The same decisions written out by hand, role by role, so a change to
    /// the table that nobody meant shows up here.
    fn expected(action: Action, role: Role) -> Option<Scope> {
        use Action::*;
        match (action, role) {
            (WorkspaceRead | MemberList | TagRead, _) => Some(Workspace),
            (
                WorkspaceSettingsUpdate
                | MemberManage
                | InvitationCreate
                | ApiTokenList
                | ApiTokenCreate
                | ApiTokenRevoke
                | BoardCreate
                | BoardUpdate
                | BoardDelete
                | BoardMemberManage
                | ListDelete
                | HistoryRead
                | HistoryExport
                | SecurityLogRead,
                Admin,
            ) => Some(Workspace),
            (
                WorkspaceSettingsUpdate
                | MemberManage
                | InvitationCreate
                | ApiTokenList
                | ApiTokenCreate
                | ApiTokenRevoke
                | BoardCreate
                | BoardUpdate
                | BoardDelete
                | BoardMemberManage
                | ListDelete
                | HistoryRead
                | HistoryExport
                | SecurityLogRead,
                _,
            ) => None,
            (
                BoardRead | CardRead | CardActivityRead | CommentRead | TimeEntryRead
                | AttachmentRead,
                Admin,
            ) => Some(Workspace),
            (
                BoardRead | CardRead | CardActivityRead | CommentRead | TimeEntryRead
                | AttachmentRead,
                _,
            ) => Some(Board),
            (TagCreate, Observer) => None,
            (TagCreate, _) => Some(Workspace),
            (CommentUpdate | TimeEntryUpdate, Observer) => None,
            (CommentUpdate | TimeEntryUpdate, _) => Some(Own),
            (CommentDelete | TimeEntryDelete | AttachmentDelete, Observer) => None,
            (CommentDelete | TimeEntryDelete | AttachmentDelete, Member) => Some(Own),
            (CommentDelete | TimeEntryDelete | AttachmentDelete, Admin) => Some(Workspace),
            (_, Observer) => None,
            (_, Member) => Some(Board),
            (_, Admin) => Some(Workspace),
        }
    }

    // proves: RBAC-1
    // proves: RBAC-6
    #[test]
    fn the_whole_matrix() {
        for &action in Action::ALL {
            for role in Role::ALL {
                for lane in [Lane::Human, Lane::Machine] {
                    let got = authorize(member(role, lane), action);
                    let human_only = policy(action).human_only;
                    let want = if human_only && lane == Lane::Machine {
                        None
                    } else {
                        expected(action, role)
                    };
                    assert_eq!(
                        got.map(|g| g.scope()).ok(),
                        want,
                        "{role:?} {lane:?} {action:?}"
                    );
                    if lane == Lane::Machine && human_only {
                        assert_eq!(got, Err(Denied::HumanOnly));
                    }
                }
            }
            let public = authorize(Principal::Public, action);
            let readable = matches!(
                action,
                Action::BoardRead
                    | Action::CardRead
                    | Action::CommentRead
                    | Action::TimeEntryRead
                    | Action::AttachmentRead
            );
            assert_eq!(public.is_ok(), readable, "public {action:?}");
        }
    }

    #[test]
    fn observers_never_write() {
        for &action in Action::ALL {
            let name = action.as_str();
            let admin_only = ["history.read", "security_log.read"];
            let read =
                (name.ends_with(".read") && !admin_only.contains(&name)) || name == "member.list";
            let got = authorize(member(Role::Observer, Lane::Human), action);
            assert_eq!(got.is_ok(), read, "{name}");
        }
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = Action::ALL.iter().map(|a| a.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Action::ALL.len());
    }
}
