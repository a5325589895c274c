//! Workspaces from the API: create (the caller becomes admin), list mine,
//! exchange an account session for a workspace token signed with that
//! workspace's own key, publish its JWKS, and authenticate workspace
//! requests: signature, audience, live session and active membership, on
//! every request.

use serde::Serialize;
use tarello_crypto::{FieldPlace, Lane, PublicKey, SigningKey, WorkspaceClaims, jwt};
use tarello_domain::policy::{Action, Grant, Lane as PolicyLane, Principal, Role, authorize};
use tarello_domain::{Slug, WorkspaceId};
use tarello_store::identity::sessions::SessionRow;
use tarello_store::identity::{members, signing};
use tarello_store::{Workspace, keyring};
use time::Duration;
use uuid::Uuid;

use crate::{ServiceError, Services};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkspaceView {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub role: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WorkspaceToken {
    pub access_token: String,
    #[schema(value_type = String, example = "Bearer")]
    pub token_type: &'static str,
    pub expires_in: i64,
}

/// An authenticated workspace request: who, where, with which role, on
/// which lane.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user, or the machine token's id.
    pub principal_id: Uuid,
    pub workspace: Workspace,
    pub role: Role,
    pub lane: PolicyLane,
    pub session_id: Option<Uuid>,
    /// The request's id, client address and user agent (for history).
    pub origin: Origin,
    /// Where the policy's decisions are noted for the capability log.
    pub audit: crate::CallAudit,
}

/// Where a request came from; filled in by the HTTP edge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub request_id: String,
    pub client_ip: String,
    pub user_agent: String,
}

impl Caller {
    /// The actor the history records for this caller's changes.
    pub fn actor(&self) -> tarello_store::Actor {
        let a = match self.lane {
            PolicyLane::Human => tarello_store::Actor::user(self.principal_id),
            PolicyLane::Machine => tarello_store::Actor::token(self.principal_id),
        };
        a.with_request(
            &self.origin.request_id,
            &self.origin.client_ip,
            &self.origin.user_agent,
        )
    }

    /// Asks the policy; a refusal is a 403 that says why. The decision is
    /// noted for the capability log.
    pub fn authorize(&self, action: Action) -> Result<Grant, ServiceError> {
        let verdict = authorize(self.principal(), action);
        self.audit
            .decided(action, verdict.as_ref().ok().map(Grant::scope));
        verdict.map_err(|d| ServiceError::Forbidden(d.to_string()))
    }

    /// Asks the policy without noting the decision: for checks that only
    /// decide between 403 and 404, not what the call does.
    pub(crate) fn may(&self, action: Action) -> Result<Grant, ServiceError> {
        authorize(self.principal(), action).map_err(|d| ServiceError::Forbidden(d.to_string()))
    }

    /// Shares `audit` (the request's slot) and names this caller in it.
    pub fn attach(&mut self, audit: &crate::CallAudit) {
        audit.identified(
            Some(self.workspace.id),
            crate::CallPrincipal {
                id: self.principal_id,
                lane: self.lane,
                role: Some(self.role),
            },
        );
        self.audit = audit.clone();
    }

    pub fn principal(&self) -> Principal {
        Principal::Member {
            id: self.principal_id,
            role: self.role,
            lane: self.lane,
        }
    }
}

/// Was this token issued after the membership's last change? The `jti` is
/// a UUIDv7 made from Tarello's clock when the token was issued, so it says
/// so to the millisecond (`iat` has whole seconds, which would refuse a
/// token asked for in the same second as a promotion). A token from the
/// same millisecond as the change counts as older.
fn issued_after(claims: &WorkspaceClaims, changed_at: time::OffsetDateTime) -> bool {
    let changed_ms = changed_at.unix_timestamp_nanos() / 1_000_000;
    match claims.jti.get_timestamp() {
        Some(ts) => {
            let (secs, nanos) = ts.to_unix();
            let issued_ms = i128::from(secs) * 1000 + i128::from(nanos / 1_000_000);
            issued_ms > changed_ms
        }
        None => i128::from(claims.iat) * 1000 > changed_ms,
    }
}

/// A UUIDv7 for `now` (the injected clock, not the system's).
fn v7_at(now: time::OffsetDateTime) -> Uuid {
    let nanos = now.unix_timestamp_nanos();
    let secs = u64::try_from(nanos.div_euclid(1_000_000_000)).unwrap_or(0);
    let sub = u32::try_from(nanos.rem_euclid(1_000_000_000)).unwrap_or(0);
    Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, secs, sub))
}

/// Machine tokens carry this prefix; they take the machine lane.
pub const MACHINE_PREFIX: &str = "trm_";

/// How long a retired signing key stays published: longer than any token
/// it signed can live.
const RETIRED_KEY_GRACE_SECS: i64 = 3600;

impl Services {
    /// Makes and stores a new signing key for the workspace; the private
    /// half encrypted under the workspace's data key.
    async fn add_signing_key(&self, ws: &Workspace) -> Result<SigningKey, ServiceError> {
        let key = SigningKey::generate_ed25519();
        let cipher = keyring::field_cipher(&self.db, &self.keks, ws.id).await?;
        let place = FieldPlace::new(ws.id.0, "signing_key", "private_key", key.kid());
        let sealed = cipher.encrypt(&place, key.private_pkcs8().expose())?;
        signing::insert(
            &self.db,
            ws.id,
            key.kid(),
            &sealed,
            &key.public_jwk(),
            self.clock.now(),
        )
        .await?;
        Ok(key)
    }

    pub async fn create_workspace(
        &self,
        session: &SessionRow,
        slug: &Slug,
        name: &str,
    ) -> Result<WorkspaceView, ServiceError> {
        let name = name.trim();
        let len = name.chars().count();
        if !(1..=200).contains(&len) || name.chars().any(char::is_control) {
            return Err(ServiceError::Invalid {
                field: "name",
                message: "a workspace name has 1 to 200 characters".into(),
            });
        }
        let now = self.clock.now();
        let ws = tarello_store::create_workspace(
            &self.db,
            &self.keks,
            &self.migrations,
            slug,
            name,
            now,
        )
        .await?;
        let creator = tarello_store::Actor::user(session.user_id);
        members::add(&self.db, ws.id, session.user_id, "admin", &creator, now).await?;
        self.add_signing_key(&ws).await?;
        Ok(WorkspaceView {
            id: ws.id.0,
            slug: ws.slug,
            name: ws.name,
            role: "admin".into(),
        })
    }

    pub async fn my_workspaces(
        &self,
        session: &SessionRow,
    ) -> Result<Vec<WorkspaceView>, ServiceError> {
        Ok(members::workspaces_of(&self.db, session.user_id)
            .await?
            .into_iter()
            .map(|(id, slug, name, role)| WorkspaceView {
                id,
                slug,
                name,
                role,
            })
            .collect())
    }

    /// A workspace the caller is an active member of, else NotFound (an
    /// outsider cannot tell a foreign workspace from a missing one).
    async fn membership(
        &self,
        slug: &str,
        user_id: Uuid,
    ) -> Result<(Workspace, String), ServiceError> {
        let slug = Slug::parse(slug).map_err(|_| ServiceError::NotFound)?;
        let ws = tarello_store::find_workspace(&self.db, &slug).await?;
        match members::find(&self.db, ws.id, user_id).await? {
            Some(m) if m.active => Ok((ws, m.role)),
            _ => Err(ServiceError::NotFound),
        }
    }

    async fn signing_keys(
        &self,
        ws: WorkspaceId,
    ) -> Result<Vec<signing::SigningKeyRow>, ServiceError> {
        let cutoff = self.clock.now() - Duration::seconds(RETIRED_KEY_GRACE_SECS);
        Ok(signing::published(&self.db, ws, cutoff).await?)
    }

    /// `POST /workspaces/{ws}/token`.
    pub async fn workspace_token(
        &self,
        session: &SessionRow,
        slug: &str,
    ) -> Result<WorkspaceToken, ServiceError> {
        let (ws, _role) = self.membership(slug, session.user_id).await?;
        if tarello_store::requires_2fa(&self.db, ws.id).await? {
            let user = tarello_store::identity::users::by_id(&self.db, session.user_id)
                .await?
                .ok_or(ServiceError::Unauthenticated)?;
            if !user.totp_enabled {
                return Err(ServiceError::TwoFactorRequired);
            }
        }
        let rows = self.signing_keys(ws.id).await?;
        let key = match rows.iter().find(|r| r.retired_at.is_none()) {
            Some(r) => {
                let cipher = keyring::field_cipher(&self.db, &self.keks, ws.id).await?;
                let place = FieldPlace::new(ws.id.0, "signing_key", "private_key", &r.kid);
                let der = cipher.decrypt(&place, &r.private_key)?;
                SigningKey::from_pkcs8(der.expose())?
            }
            None => self.add_signing_key(&ws).await?,
        };
        let issued = self.clock.now();
        let now = issued.unix_timestamp();
        let claims = WorkspaceClaims {
            sub: session.user_id,
            aud: ws.id.to_string(),
            iss: self.cfg.issuer.clone(),
            iat: now,
            exp: now + self.cfg.workspace_token_ttl_secs,
            jti: v7_at(issued),
            sid: Some(session.session_id),
            lane: Lane::Human,
        };
        Ok(WorkspaceToken {
            access_token: jwt::issue(&key, &claims)?,
            token_type: "Bearer",
            expires_in: self.cfg.workspace_token_ttl_secs,
        })
    }

    /// `GET /workspaces/{ws}/jwks.json`: public keys only.
    pub async fn jwks(&self, slug: &str) -> Result<serde_json::Value, ServiceError> {
        let slug = Slug::parse(slug).map_err(|_| ServiceError::NotFound)?;
        let ws = tarello_store::find_workspace(&self.db, &slug).await?;
        let keys = self.public_keys(ws.id).await?;
        Ok(jwt::jwks(&keys))
    }

    /// The workspace named by `slug` and the token's verified claims: the
    /// signature must be one of *this* workspace's keys and `aud` this
    /// workspace. Keys come from the short-lived gate cache; a failure is
    /// retried once with fresh keys (a key rotated a moment ago).
    async fn verified(
        &self,
        slug: &str,
        token: &str,
        now: i64,
    ) -> Result<(Workspace, WorkspaceClaims), ServiceError> {
        let slug = Slug::parse(slug).map_err(|_| ServiceError::NotFound)?;
        let cached = self.gates.get(slug.as_str());
        if let Some(g) = &cached
            && let Ok(claims) = jwt::verify(token, &g.workspace.id.to_string(), &g.keys, now)
        {
            return Ok((g.workspace.clone(), claims));
        }
        let ws = match tarello_store::find_workspace(&self.db, &slug).await {
            Ok(ws) => ws,
            Err(tarello_store::StoreError::UnknownWorkspace(_)) => {
                self.gates.forget(slug.as_str());
                return Err(ServiceError::Unauthenticated);
            }
            Err(e) => return Err(e.into()),
        };
        let keys = self.public_keys(ws.id).await?;
        let verdict = jwt::verify(token, &ws.id.to_string(), &keys, now);
        self.gates.put(
            slug.as_str(),
            crate::gatecache::Gate {
                workspace: ws.clone(),
                keys,
            },
        );
        let claims = verdict.map_err(|_| ServiceError::Unauthenticated)?;
        Ok((ws, claims))
    }

    async fn public_keys(&self, ws: WorkspaceId) -> Result<Vec<PublicKey>, ServiceError> {
        let rows = self.signing_keys(ws).await?;
        let mut keys = Vec::with_capacity(rows.len());
        for r in rows {
            keys.push(PublicKey::from_jwk(&r.public_jwk)?);
        }
        Ok(keys)
    }

    /// Every workspace request: the token must be signed by *this*
    /// workspace's key with `aud` = this workspace (a token for A is refused
    /// on B), its session live, and the membership row present and active.
    pub async fn authenticate_workspace(
        &self,
        slug: &str,
        token: &str,
    ) -> Result<Caller, ServiceError> {
        if token.starts_with(MACHINE_PREFIX) {
            return self.authenticate_machine(slug, token).await;
        }
        let now = self.clock.now();
        let (ws, claims) = self.verified(slug, token, now.unix_timestamp()).await?;
        let Some(sid) = claims.sid else {
            return Err(ServiceError::Unauthenticated);
        };
        if claims.lane != Lane::Human {
            return Err(ServiceError::Unauthenticated);
        }
        let membership =
            members::find_with_live_session(&self.db, ws.id, claims.sub, sid, now).await?;
        match membership {
            // A token older than the last change of this membership (role,
            // active flag) is refused: the member asks for a new one.
            Some(m) if m.active && issued_after(&claims, m.changed_at) => Ok(Caller {
                principal_id: claims.sub,
                workspace: ws,
                role: Role::parse(&m.role).ok_or(ServiceError::Unauthenticated)?,
                lane: PolicyLane::Human,
                session_id: Some(sid),
                origin: Origin::default(),
                audit: crate::CallAudit::default(),
            }),
            _ => Err(ServiceError::Unauthenticated),
        }
    }
}

/// `PATCH /workspaces/{ws}`: any subset of the settings.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    pub name: Option<String>,
    pub plan: Option<String>,
    pub require_2fa: Option<bool>,
    /// An IANA zone, e.g. `Europe/Brussels`.
    pub timezone: Option<String>,
    /// ISO 4217, e.g. `EUR`.
    pub currency: Option<String>,
}

/// `GET /workspaces/{ws}`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkspaceDetail {
    pub id: Uuid,
    pub slug: String,
    /// The caller's role.
    pub role: &'static str,
    /// `human` or `machine`: how the caller authenticated.
    pub lane: &'static str,
    pub name: String,
    /// `free`, `pro` or `business`.
    pub plan: String,
    pub require_2fa: bool,
    pub timezone: String,
    pub currency: String,
}

const WORKSPACE_NAME: crate::TextRule = crate::TextRule::line("name", 1, 200);

impl Services {
    pub async fn workspace_detail(&self, caller: &Caller) -> Result<WorkspaceDetail, ServiceError> {
        caller.authorize(Action::WorkspaceRead)?;
        let s = tarello_store::settings(&self.db, caller.workspace.id).await?;
        Ok(WorkspaceDetail {
            id: caller.workspace.id.0,
            slug: caller.workspace.slug.clone(),
            role: caller.role.as_str(),
            lane: caller.lane.as_str(),
            name: s.name,
            plan: s.plan,
            require_2fa: s.require_2fa,
            timezone: s.timezone,
            currency: s.currency,
        })
    }

    /// `PATCH /workspaces/{ws}`. Admins, people only.
    pub async fn update_workspace_settings(
        &self,
        caller: &Caller,
        input: &SettingsInput,
    ) -> Result<WorkspaceDetail, ServiceError> {
        caller.authorize(Action::WorkspaceSettingsUpdate)?;
        let name = WORKSPACE_NAME.check_opt(input.name.as_deref())?;
        if let Some(plan) = &input.plan
            && !matches!(plan.as_str(), "free" | "pro" | "business")
        {
            return Err(ServiceError::Invalid {
                field: "plan",
                message: "plan is free, pro or business".into(),
            });
        }
        if let Some(tz) = &input.timezone
            && (tz.len() > 64 || !tarello_store::timezone_exists(&self.db, tz).await?)
        {
            return Err(ServiceError::Invalid {
                field: "timezone",
                message: "timezone is an IANA time zone name such as Europe/Brussels".into(),
            });
        }
        if let Some(c) = &input.currency
            && !(c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
        {
            return Err(ServiceError::Invalid {
                field: "currency",
                message: "currency is an ISO 4217 code such as EUR".into(),
            });
        }
        if input.require_2fa == Some(true) {
            // Do not let an admin lock themselves out.
            let me = tarello_store::identity::users::by_id(&self.db, caller.principal_id).await?;
            if !me.is_some_and(|u| u.totp_enabled) {
                return Err(ServiceError::Conflict(
                    "turn on two-factor authentication for yourself before requiring it of everyone".into(),
                ));
            }
        }
        let patch = tarello_store::SettingsPatch {
            name,
            plan: input.plan.as_deref(),
            require_2fa: input.require_2fa,
            timezone: input.timezone.as_deref(),
            currency: input.currency.as_deref(),
        };
        tarello_store::update_settings(&self.db, caller.workspace.id, &patch).await?;
        self.workspace_detail(caller).await
    }
}
