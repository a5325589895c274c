//! Machine tokens: workspace admins create them (shown once, stored as
//! SHA-256, expiring, revocable); they authenticate on the machine lane,
//! never with more than member rights, and the policy refuses them
//! anything that must be attributed to a person.

use serde::Serialize;
use tarello_crypto::{SecretString, hash_token, random_token};
use tarello_domain::policy::{Action, Lane, Role};
use tarello_store::identity::api_tokens::{self, ApiTokenRow};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::workspaces::MACHINE_PREFIX;
use crate::{Caller, Client, ServiceError, Services};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApiTokenView {
    pub id: Uuid,
    pub name: String,
    pub scope: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub revoked: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NewApiToken {
    #[serde(flatten)]
    pub view: ApiTokenView,
    /// Shown once.
    #[schema(value_type = String)]
    pub token: SecretString,
}

impl From<ApiTokenRow> for ApiTokenView {
    fn from(r: ApiTokenRow) -> Self {
        ApiTokenView {
            id: r.token_id,
            name: r.name,
            scope: r.scope,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked: r.revoked_at.is_some(),
        }
    }
}

impl Services {
    pub async fn create_api_token(
        &self,
        caller: &Caller,
        name: &str,
        scope: &str,
        expires_in_days: i64,
        client: &Client,
    ) -> Result<NewApiToken, ServiceError> {
        caller.authorize(Action::ApiTokenCreate)?;
        let name = name.trim();
        if !(1..=100).contains(&name.chars().count()) || name.chars().any(char::is_control) {
            return Err(ServiceError::Invalid {
                field: "name",
                message: "a token name has 1 to 100 characters".into(),
            });
        }
        if !matches!(scope, "read" | "write") {
            return Err(ServiceError::Invalid {
                field: "scope",
                message: "scope is `read` or `write`".into(),
            });
        }
        if !(1..=365).contains(&expires_in_days) {
            return Err(ServiceError::Invalid {
                field: "expires_in_days",
                message: "a token lives 1 to 365 days".into(),
            });
        }
        let now = self.clock.now();
        let (token, hash) = random_token(MACHINE_PREFIX);
        let row = ApiTokenRow {
            token_id: Uuid::now_v7(),
            workspace_id: caller.workspace.id.0,
            name: name.to_owned(),
            scope: scope.to_owned(),
            created_by: caller.principal_id,
            created_at: now,
            expires_at: now + Duration::days(expires_in_days),
            revoked_at: None,
        };
        api_tokens::insert(&self.db, &row, &hash).await?;
        self.workspace_event("api_token.created", caller, client)
            .await;
        Ok(NewApiToken {
            view: row.into(),
            token,
        })
    }

    pub async fn list_api_tokens(
        &self,
        caller: &Caller,
    ) -> Result<Vec<ApiTokenView>, ServiceError> {
        caller.authorize(Action::ApiTokenList)?;
        Ok(api_tokens::list(&self.db, caller.workspace.id)
            .await?
            .into_iter()
            .map(ApiTokenView::from)
            .collect())
    }

    pub async fn revoke_api_token(
        &self,
        caller: &Caller,
        id: Uuid,
        client: &Client,
    ) -> Result<(), ServiceError> {
        caller.authorize(Action::ApiTokenRevoke)?;
        if !api_tokens::revoke(&self.db, caller.workspace.id, id, self.clock.now()).await? {
            return Err(ServiceError::NotFound);
        }
        self.workspace_event("api_token.revoked", caller, client)
            .await;
        Ok(())
    }

    /// A machine token of exactly this workspace (a token for A is refused on B).
    pub(crate) async fn authenticate_machine(
        &self,
        slug: &str,
        token: &str,
    ) -> Result<Caller, ServiceError> {
        let slug = tarello_domain::Slug::parse(slug).map_err(|_| ServiceError::NotFound)?;
        let ws = match tarello_store::find_workspace(&self.db, &slug).await {
            Ok(ws) => ws,
            Err(tarello_store::StoreError::UnknownWorkspace(_)) => {
                return Err(ServiceError::Unauthenticated);
            }
            Err(e) => return Err(e.into()),
        };
        let row = api_tokens::find_live(&self.db, ws.id, &hash_token(token), self.clock.now())
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        Ok(Caller {
            principal_id: row.token_id,
            workspace: ws,
            role: if row.scope == "write" {
                Role::Member
            } else {
                Role::Observer
            },
            lane: Lane::Machine,
            session_id: None,
            origin: crate::workspaces::Origin::default(),
            audit: crate::CallAudit::default(),
        })
    }

    async fn workspace_event(&self, kind: &str, caller: &Caller, client: &Client) {
        let e = tarello_store::identity::events::Event {
            kind,
            user_id: (caller.lane == Lane::Human).then_some(caller.principal_id),
            workspace_id: Some(caller.workspace.id.0),
            ip: Some(&client.ip),
            user_agent: client.user_agent.as_deref(),
            detail: None,
        };
        self.security_event(e, self.clock.now()).await;
    }
}
