//! Invitations: an admin invites an address with a role; the code goes by
//! mail; the person accepts it while logged in with that same address,
//! which makes the membership. The code alone is not enough (a forwarded
//! mail does not let someone else in), and it is single-use and expires.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tarello_crypto::otp::random_token;
use tarello_domain::policy::{Action, Role};
use tarello_store::identity::invitations::{self, Invitation};
use tarello_store::identity::{members, sessions::SessionRow, users};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{Caller, Email, ServiceError, Services, WorkspaceView};

/// How long an invitation stays valid.
const INVITATION_TTL: Duration = Duration::days(7);
const CODE_PREFIX: &str = "tri_";

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationInput {
    pub email: String,
    pub role: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InvitationView {
    pub id: Uuid,
    pub email: String,
    pub role: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    pub code: String,
}

fn code_hash(code: &str) -> Vec<u8> {
    Sha256::digest(code.trim().as_bytes()).to_vec()
}

impl Services {
    /// `POST /workspaces/{ws}/invitations`.
    pub async fn invite(
        &self,
        caller: &Caller,
        input: &InvitationInput,
    ) -> Result<InvitationView, ServiceError> {
        caller.authorize(Action::InvitationCreate)?;
        let email = Email::parse(&input.email)?;
        let role = Role::parse(&input.role).ok_or_else(|| ServiceError::Invalid {
            field: "role",
            message: "role is admin, member or observer".into(),
        })?;
        if let Some(u) = users::by_email(&self.db, email.as_str()).await?
            && members::find(&self.db, caller.workspace.id, u.user_id)
                .await?
                .is_some_and(|m| m.active)
        {
            return Err(ServiceError::Conflict(
                "this address is already an active member of the workspace".into(),
            ));
        }
        let now = self.clock.now();
        let inv = Invitation {
            invitation_id: Uuid::now_v7(),
            workspace_id: caller.workspace.id.0,
            email: email.as_str().to_owned(),
            role: role.as_str().to_owned(),
            expires_at: now + INVITATION_TTL,
        };
        let (code, _) = random_token(CODE_PREFIX);
        let hash = code_hash(code.expose());
        invitations::create(
            &self.db,
            caller.workspace.id,
            &inv,
            &hash,
            caller.principal_id,
            now,
        )
        .await?;
        let body = format!(
            "You are invited to join the workspace \"{}\" on Tarello as {}.\n\n\
             Invitation code: {}\n\n\
             Log in (or sign up) with this address, then accept it with\n\
             POST /api/v1/invitations/accept {{\"code\": \"…\"}}.\n\
             The code works once and expires in 7 days. If you did not expect this, ignore it.\n",
            caller.workspace.name,
            role.as_str(),
            code.expose()
        );
        self.mail
            .send(email.as_str(), "Your Tarello invitation", &body, now)
            .await;
        Ok(InvitationView {
            id: inv.invitation_id,
            email: inv.email,
            role: inv.role,
            expires_at: inv.expires_at,
        })
    }

    /// `POST /invitations/accept`: with an account session whose address
    /// is the invited one. Any mismatch is the same 404.
    pub async fn accept_invitation(
        &self,
        session: &SessionRow,
        input: &AcceptInput,
    ) -> Result<WorkspaceView, ServiceError> {
        let code = input.code.trim();
        if !code.starts_with(CODE_PREFIX) || code.len() > 100 {
            return Err(ServiceError::NotFound);
        }
        let user = users::by_id(&self.db, session.user_id)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        let now = self.clock.now();
        let actor = tarello_store::Actor::user(user.user_id);
        let inv = invitations::accept(
            &self.db,
            &code_hash(code),
            &user.email,
            user.user_id,
            &actor,
            now,
        )
        .await?
        .ok_or(ServiceError::NotFound)?;
        let ws = tarello_store::find_workspace_by_id(
            &self.db,
            tarello_domain::WorkspaceId(inv.workspace_id),
        )
        .await?
        .ok_or(ServiceError::NotFound)?;
        Ok(WorkspaceView {
            id: ws.id.0,
            slug: ws.slug,
            name: ws.name,
            role: inv.role,
        })
    }
}
