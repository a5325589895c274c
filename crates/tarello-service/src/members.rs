//! Members of a workspace: list, change role or active flag, remove,
//! leave. The last active admin can never be demoted, deactivated, removed
//! or leave (409), also under concurrent requests. A change takes effect on
//! the member's very next request: the role is read from the row every
//! time, and workspace tokens issued before the change are refused.

use serde::Serialize;
use tarello_domain::policy::{Action, Lane, Role};
use tarello_store::identity::members::{self, Change};
use uuid::Uuid;

use crate::{Caller, Client, ServiceError, Services};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberView {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub active: bool,
}

impl Services {
    pub async fn list_members(&self, caller: &Caller) -> Result<Vec<MemberView>, ServiceError> {
        caller.authorize(Action::MemberList)?;
        Ok(members::list(&self.db, caller.workspace.id)
            .await?
            .into_iter()
            .map(|m| MemberView {
                user_id: m.user_id,
                email: m.email,
                name: m.name,
                role: m.role,
                active: m.active,
            })
            .collect())
    }

    /// `PATCH /workspaces/{ws}/members/{user_id}` and `DELETE …` (remove;
    /// a person may always remove themselves, i.e. leave).
    pub async fn change_member(
        &self,
        caller: &Caller,
        user_id: Uuid,
        role: Option<&str>,
        active: Option<bool>,
        remove: bool,
        client: &Client,
    ) -> Result<(), ServiceError> {
        let leaving = remove && caller.lane == Lane::Human && caller.principal_id == user_id;
        if !leaving {
            caller.authorize(Action::MemberManage)?;
        }
        if let Some(r) = role
            && Role::parse(r).is_none()
        {
            return Err(ServiceError::Invalid {
                field: "role",
                message: "role is admin, member or observer".into(),
            });
        }
        let now = self.clock.now();
        match members::change(
            &self.db,
            caller.workspace.id,
            user_id,
            members::Edit {
                role,
                active,
                remove,
            },
            &caller.actor(),
            now,
        )
        .await?
        {
            Change::Done => {}
            Change::NoSuchMember => return Err(ServiceError::NotFound),
            Change::LastAdmin => return Err(ServiceError::LastAdmin),
        }
        let kind = if remove {
            "member.removed"
        } else {
            "member.changed"
        };
        let e = tarello_store::identity::events::Event {
            kind,
            user_id: Some(user_id),
            workspace_id: Some(caller.workspace.id.0),
            ip: Some(&client.ip),
            user_agent: client.user_agent.as_deref(),
            detail: Some(
                serde_json::json!({ "by": caller.principal_id, "role": role, "active": active }),
            ),
        };
        self.security_event(e, now).await;
        Ok(())
    }
}
