//! Accounts: signup with an emailed code, login with lockout, sessions with
//! rotating refresh tokens, password reset by one-time code. Every answer
//! that could tell whether an account exists is the same either way.

use serde::{Deserialize, Serialize};
use tarello_crypto::{
    FieldCipher, FieldPlace, OneTimeCode, PasswordRejected, SecretString, check_password,
    hash_token, random_token, verify_code,
};
use tarello_store::identity::codes::{self, Attempt};
use tarello_store::identity::events::Event;
use tarello_store::identity::sessions::{self, Refresh, SessionRow, TokenHashes};
use tarello_store::identity::{throttle, users};
use tarello_store::keyring;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{Email, ServiceError, Services};

/// Who is calling, as far as the socket says (for limits and events).
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub ip: String,
    pub user_agent: Option<String>,
}

impl Client {
    /// A user acting from this client, for audited control-plane writes.
    pub fn actor(&self, user_id: Uuid) -> tarello_store::Actor {
        tarello_store::Actor::user(user_id).with_request(
            "",
            &self.ip,
            self.user_agent.as_deref().unwrap_or(""),
        )
    }
}

#[derive(Debug)]
pub struct SignupInput {
    pub email: String,
    pub password: SecretString,
    pub name: String,
}

#[derive(Debug)]
pub struct LoginInput {
    pub email: String,
    pub password: SecretString,
    pub totp_code: Option<String>,
    pub recovery_code: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Tokens {
    #[schema(value_type = String)]
    pub access_token: SecretString,
    #[schema(value_type = String)]
    pub refresh_token: SecretString,
    /// `Bearer`.
    #[schema(value_type = String, example = "Bearer")]
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip)]
    #[schema(ignore)]
    pub session_id: Uuid,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_used_at: OffsetDateTime,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub current: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct PendingPayload {
    name: String,
    password_hash: String,
}

const SIGNUP: &str = "signup";
const RESET: &str = "reset";

fn invalid_password(e: PasswordRejected) -> ServiceError {
    ServiceError::Invalid {
        field: "password",
        message: e.to_string(),
    }
}

fn valid_name(name: &str) -> Result<String, ServiceError> {
    let n = name.trim();
    let len = n.chars().count();
    if !(1..=200).contains(&len) || n.chars().any(char::is_control) {
        return Err(ServiceError::Invalid {
            field: "name",
            message: "a name has 1 to 200 characters and no control characters".into(),
        });
    }
    Ok(n.to_owned())
}

fn window_start(now: OffsetDateTime) -> OffsetDateTime {
    let secs = now.unix_timestamp();
    OffsetDateTime::from_unix_timestamp(secs - secs.rem_euclid(3600)).unwrap_or(now)
}

fn retry_after(now: OffsetDateTime) -> i64 {
    3600 - now.unix_timestamp().rem_euclid(3600)
}

impl Services {
    fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// The control plane's cipher and the pepper for one-time codes, both
    /// from the control data key (wrapped by the KEK, outside the database).
    /// Unwrapped once per process: the key never changes (KEK rotation
    /// rewraps it, the key itself stays).
    pub(crate) async fn control_secrets(&self) -> Result<crate::ControlSecrets, ServiceError> {
        use hmac::{Hmac, Mac};
        let secrets = self
            .control
            .get_or_try_init(|| async {
                let (version, key) = keyring::control_key(&self.db, &self.keks, self.now()).await?;
                let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key.expose_bytes())
                    .map_err(|_| ServiceError::Internal("pepper".into()))?;
                mac.update(b"tarello one-time-code pepper v1");
                let pepper: [u8; 32] = mac.finalize().into_bytes().into();
                Ok::<_, ServiceError>(std::sync::Arc::new((
                    FieldCipher::single(version, key),
                    pepper,
                )))
            })
            .await?;
        Ok(std::sync::Arc::clone(secrets))
    }

    pub(crate) async fn event(&self, kind: &str, user: Option<Uuid>, client: &Client) {
        let e = Event {
            kind,
            user_id: user,
            workspace_id: None,
            ip: Some(&client.ip),
            user_agent: client.user_agent.as_deref(),
            detail: None,
        };
        self.security_event(e, self.now()).await;
    }

    async fn limit(&self, bucket: String, max: i32) -> Result<(), ServiceError> {
        let now = self.now();
        let hits = codes::count_hit(&self.db, &bucket, window_start(now)).await?;
        if hits > max {
            return Err(ServiceError::Throttled {
                retry_after_secs: retry_after(now),
            });
        }
        Ok(())
    }

    /// `POST /auth/signup`: always the same answer; the code goes by mail.
    pub async fn signup(&self, input: SignupInput, client: &Client) -> Result<(), ServiceError> {
        let email = Email::parse(&input.email)?;
        let name = valid_name(&input.name)?;
        check_password(&input.password, &[email.as_str(), &name]).map_err(invalid_password)?;
        self.limit(
            format!("signup:ip:{}", client.ip),
            self.cfg.signup_per_ip_per_hour,
        )
        .await?;
        self.limit(
            format!("signup:domain:{}", email.domain()),
            self.cfg.signup_per_domain_per_hour,
        )
        .await?;
        let now = self.now();
        // Hash first in both branches so the timing does not tell them apart.
        let password_hash = self.hasher.hash(input.password).await?;
        if users::by_email(&self.db, email.as_str()).await?.is_some() {
            self.mail.send(
                email.as_str(),
                "Someone tried to sign up with your address",
                "Someone tried to create a Tarello account with this email address, which already has one.\n\
                 If it was you, log in or reset your password instead. If not, you can ignore this message.",
                now,
            ).await;
            self.event("signup.existing", None, client).await;
            return Ok(());
        }
        let secrets = self.control_secrets().await?;
        let (cipher, pepper) = (&secrets.0, &secrets.1);
        let payload = serde_json::to_vec(&PendingPayload {
            name,
            password_hash,
        })
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let place = FieldPlace::new(Uuid::nil(), "pending_signup", "payload", email.as_str());
        let sealed = cipher.encrypt(&place, &payload)?;
        users::put_pending_signup(&self.db, email.as_str(), &sealed, now).await?;
        self.mail_code(
            pepper,
            SIGNUP,
            &email,
            "Your Tarello sign-up code",
            "If you did not sign up, ignore this message.",
        )
        .await?;
        self.event("signup.requested", None, client).await;
        Ok(())
    }

    /// Issues a one-time code (replacing any earlier one) and mails it.
    async fn mail_code(
        &self,
        pepper: &[u8; 32],
        purpose: &str,
        email: &Email,
        subject: &str,
        footer: &str,
    ) -> Result<(), ServiceError> {
        let now = self.now();
        let (code, hash) = OneTimeCode::generate(pepper, purpose, email.as_str());
        let expires = now + Duration::seconds(self.cfg.reset_code_ttl_secs);
        codes::put(
            &self.db,
            purpose,
            email.as_str(),
            &hash,
            self.cfg.code_attempts,
            expires,
            now,
        )
        .await?;
        let body = format!(
            "Your code is {}. It expires in {} minutes.\n{footer}",
            code.expose(),
            self.cfg.reset_code_ttl_secs / 60
        );
        self.mail.send(email.as_str(), subject, &body, now).await;
        Ok(())
    }

    /// Spends one attempt of a code; Ok(()) when it matched and was consumed.
    async fn use_code(&self, purpose: &str, subject: &str, code: &str) -> Result<(), ServiceError> {
        let secrets = self.control_secrets().await?;
        let pepper = &secrets.1;
        match codes::attempt(&self.db, purpose, subject, self.now()).await? {
            Attempt::Compare { code_hash, .. } => {
                if verify_code(pepper, purpose, subject, code.trim(), &code_hash)
                    && codes::consume(&self.db, purpose, subject, &code_hash).await?
                {
                    Ok(())
                } else {
                    Err(ServiceError::BadCode)
                }
            }
            Attempt::NoCode => Err(ServiceError::BadCode),
            Attempt::Exhausted => Err(ServiceError::Throttled {
                retry_after_secs: self.cfg.reset_code_ttl_secs,
            }),
        }
    }

    /// `POST /auth/signup/verify`: creates the account.
    pub async fn verify_signup(
        &self,
        email: &str,
        code: &str,
        client: &Client,
    ) -> Result<(Uuid, String, String), ServiceError> {
        let email = Email::parse(email)?;
        self.use_code(SIGNUP, email.as_str(), code).await?;
        let sealed = users::take_pending_signup(&self.db, email.as_str())
            .await?
            .ok_or(ServiceError::BadCode)?;
        let secrets = self.control_secrets().await?;
        let cipher = &secrets.0;
        let place = FieldPlace::new(Uuid::nil(), "pending_signup", "payload", email.as_str());
        let plain = cipher.decrypt(&place, &sealed)?;
        let p: PendingPayload = serde_json::from_slice(plain.expose())
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let user_id = Uuid::now_v7();
        if !users::insert(
            &self.db,
            user_id,
            email.as_str(),
            &p.name,
            &p.password_hash,
            self.now(),
        )
        .await?
        {
            return Err(ServiceError::BadCode);
        }
        self.event("signup.verified", Some(user_id), client).await;
        Ok((user_id, email.as_str().to_owned(), p.name))
    }

    fn throttle_keys(email: &str, client: &Client) -> [String; 2] {
        [format!("account:{email}"), format!("ip:{}", client.ip)]
    }

    /// Reserves an attempt against the account and the IP before any
    /// credential is checked (see `throttle::begin_attempt`); refuses with
    /// 429 while either is locked.
    pub(crate) async fn reserve_attempt(
        &self,
        email: &str,
        client: &Client,
    ) -> Result<(), ServiceError> {
        let now = self.now();
        let [account, ip] = Self::throttle_keys(email, client);
        let keys = [
            (account, self.cfg.lockout_threshold),
            (ip, self.cfg.ip_lockout_threshold),
        ];
        if let Some(until) = throttle::begin_attempt(&self.db, &keys, now).await? {
            // The same lookup whether or not the account exists.
            let user = users::by_email(&self.db, email).await.ok().flatten();
            self.event("login.locked_out", user.map(|u| u.user_id), client)
                .await;
            return Err(ServiceError::Throttled {
                retry_after_secs: (until - now).whole_seconds().max(1),
            });
        }
        Ok(())
    }

    /// The reserved attempt succeeded.
    pub(crate) async fn settle_attempt(
        &self,
        email: &str,
        client: &Client,
    ) -> Result<(), ServiceError> {
        let [account, ip] = Self::throttle_keys(email, client);
        throttle::settle_success(&self.db, &account, &[ip]).await?;
        Ok(())
    }

    /// `POST /auth/login`. Unknown email, wrong password: the same 401.
    /// Locked (by account, keyed by the email whether or not it exists, or
    /// by IP): 429 with Retry-After, also the same either way.
    pub async fn login(&self, input: LoginInput, client: &Client) -> Result<Tokens, ServiceError> {
        let email = Email::parse(&input.email).map_err(|_| ServiceError::BadCredentials)?;
        self.reserve_attempt(email.as_str(), client).await?;
        let user = users::by_email(&self.db, email.as_str()).await?;
        // The account's own log (and its workspaces' capability logs) shows
        // failed attempts; the answer to the client stays the same.
        let known = user.as_ref().map(|u| u.user_id);
        let ok_user = match user {
            Some(u) => {
                let v = self
                    .hasher
                    .verify(input.password.clone(), u.password_hash.clone())
                    .await?;
                if v.ok {
                    if v.needs_rehash {
                        let phc = self.hasher.hash(input.password).await?;
                        users::set_password_hash(&self.db, u.user_id, &phc).await?;
                    }
                    Some(u)
                } else {
                    None
                }
            }
            None => {
                self.hasher.dummy(input.password).await?;
                None
            }
        };
        let Some(user) = ok_user else {
            self.event("login.failed", known, client).await;
            return Err(ServiceError::BadCredentials);
        };
        if user.totp_enabled {
            // The password was right: only now say that a second factor is due.
            let second = match (&input.totp_code, &input.recovery_code) {
                (Some(code), _) => self.check_totp(&user, code, false).await?,
                (None, Some(code)) => self.check_recovery(&user, code).await?,
                (None, None) => return Err(ServiceError::SecondFactorRequired),
            };
            if !second {
                self.event("login.failed", Some(user.user_id), client).await;
                return Err(ServiceError::BadCredentials);
            }
        }
        self.settle_attempt(email.as_str(), client).await?;
        let tokens = self.new_session(user.user_id, client).await?;
        self.event("login.succeeded", Some(user.user_id), client)
            .await;
        Ok(tokens)
    }

    fn fresh_tokens(&self, now: OffsetDateTime) -> (SecretString, SecretString, TokenHashes) {
        let (access, access_hash) = random_token("tra_");
        let (refresh, refresh_hash) = random_token("trr_");
        let hashes = TokenHashes {
            refresh_hash,
            access_hash,
            access_expires_at: now + Duration::seconds(self.cfg.access_ttl_secs),
        };
        (access, refresh, hashes)
    }

    async fn new_session(&self, user_id: Uuid, client: &Client) -> Result<Tokens, ServiceError> {
        let now = self.now();
        let (access, refresh, hashes) = self.fresh_tokens(now);
        let session_id = Uuid::now_v7();
        sessions::create(
            &self.db,
            session_id,
            user_id,
            &hashes,
            now,
            now + Duration::seconds(self.cfg.session_ttl_secs),
            (Some(&client.ip), client.user_agent.as_deref()),
        )
        .await?;
        Ok(Tokens {
            access_token: access,
            refresh_token: refresh,
            token_type: "Bearer",
            expires_in: self.cfg.access_ttl_secs,
            session_id,
        })
    }

    /// `POST /auth/refresh`: rotates; a spent token revokes the session.
    pub async fn refresh(
        &self,
        refresh_token: &str,
        client: &Client,
    ) -> Result<Tokens, ServiceError> {
        let now = self.now();
        let (access, refresh, hashes) = self.fresh_tokens(now);
        match sessions::rotate(&self.db, &hash_token(refresh_token), &hashes, now).await? {
            Refresh::Rotated(row) => Ok(Tokens {
                access_token: access,
                refresh_token: refresh,
                token_type: "Bearer",
                expires_in: self.cfg.access_ttl_secs,
                session_id: row.session_id,
            }),
            Refresh::Reused { user_id, .. } => {
                self.event("session.refresh_reused", Some(user_id), client)
                    .await;
                Err(ServiceError::Unauthenticated)
            }
            Refresh::Unknown | Refresh::Dead => Err(ServiceError::Unauthenticated),
        }
    }

    /// The live session behind an account access token (checked on every request).
    pub async fn authenticate_account(
        &self,
        access_token: &str,
    ) -> Result<SessionRow, ServiceError> {
        sessions::by_access_token(&self.db, &hash_token(access_token), self.now())
            .await?
            .ok_or(ServiceError::Unauthenticated)
    }

    pub async fn logout(&self, session: &SessionRow, client: &Client) -> Result<(), ServiceError> {
        sessions::revoke(
            &self.db,
            session.user_id,
            session.session_id,
            "logout",
            self.now(),
        )
        .await?;
        self.event("session.logout", Some(session.user_id), client)
            .await;
        Ok(())
    }

    pub async fn list_sessions(
        &self,
        session: &SessionRow,
    ) -> Result<Vec<SessionView>, ServiceError> {
        let rows = sessions::list_live(&self.db, session.user_id, self.now()).await?;
        Ok(rows
            .into_iter()
            .map(|r| SessionView {
                current: r.session_id == session.session_id,
                id: r.session_id,
                created_at: r.created_at,
                last_used_at: r.last_used_at,
                ip: r.ip,
                user_agent: r.user_agent,
            })
            .collect())
    }

    pub async fn revoke_session(
        &self,
        session: &SessionRow,
        target: Uuid,
        client: &Client,
    ) -> Result<(), ServiceError> {
        if !sessions::revoke(
            &self.db,
            session.user_id,
            target,
            "revoked by user",
            self.now(),
        )
        .await?
        {
            return Err(ServiceError::NotFound);
        }
        self.event("session.revoked", Some(session.user_id), client)
            .await;
        Ok(())
    }

    pub async fn revoke_all_sessions(
        &self,
        session: &SessionRow,
        client: &Client,
    ) -> Result<u64, ServiceError> {
        let n =
            sessions::revoke_all(&self.db, session.user_id, "revoked by user", self.now()).await?;
        self.event("session.revoked_all", Some(session.user_id), client)
            .await;
        Ok(n)
    }

    /// `POST /auth/password-reset`: always accepted; at most N codes an hour.
    pub async fn request_reset(&self, email: &str, client: &Client) -> Result<(), ServiceError> {
        let Ok(email) = Email::parse(email) else {
            return Ok(());
        };
        let now = self.now();
        let Some(user) = users::by_email(&self.db, email.as_str()).await? else {
            return Ok(());
        };
        let hits = codes::count_hit(
            &self.db,
            &format!("reset:{}", email.as_str()),
            window_start(now),
        )
        .await?;
        if hits > self.cfg.reset_codes_per_hour {
            self.event("reset.limited", Some(user.user_id), client)
                .await;
            return Ok(());
        }
        let secrets = self.control_secrets().await?;
        let pepper = &secrets.1;
        self.mail_code(
            pepper,
            RESET,
            &email,
            "Your Tarello password reset code",
            "If you did not ask for it, ignore this message: your password is unchanged.",
        )
        .await?;
        self.event("reset.requested", Some(user.user_id), client)
            .await;
        Ok(())
    }

    /// `POST /auth/password-reset/confirm`: sets the password, ends every session.
    pub async fn confirm_reset(
        &self,
        email: &str,
        code: &str,
        new_password: SecretString,
        client: &Client,
    ) -> Result<(), ServiceError> {
        let email = Email::parse(email).map_err(|_| ServiceError::BadCode)?;
        let user = users::by_email(&self.db, email.as_str()).await?;
        let context: Vec<&str> = match &user {
            Some(u) => vec![email.as_str(), u.name.as_str()],
            None => vec![email.as_str()],
        };
        check_password(&new_password, &context).map_err(invalid_password)?;
        self.use_code(RESET, email.as_str(), code).await?;
        let Some(user) = user else {
            return Err(ServiceError::BadCode);
        };
        let phc = self.hasher.hash(new_password).await?;
        users::set_password_hash(&self.db, user.user_id, &phc).await?;
        let now = self.now();
        sessions::revoke_all(&self.db, user.user_id, "password reset", now).await?;
        throttle::reset(&self.db, &format!("account:{}", email.as_str())).await?;
        self.mail.send(
            email.as_str(),
            "Your Tarello password was changed",
            "Your password was just reset with a code sent to this address, and every session was signed out.\n\
             If this was not you, reset your password again now.",
            now,
        ).await;
        self.event("reset.used", Some(user.user_id), client).await;
        Ok(())
    }

    /// `GET /me`.
    pub async fn me(&self, session: &SessionRow) -> Result<(Uuid, String, String), ServiceError> {
        let u = users::by_id(&self.db, session.user_id)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        Ok((u.user_id, u.email, u.name))
    }

    /// `DELETE /me`: needs the password (and a second factor when on).
    /// Refused with LastAdmin while the account is the last active admin
    /// of a workspace.
    pub async fn delete_account(
        &self,
        session: &SessionRow,
        password: SecretString,
        code: Option<&str>,
        client: &Client,
    ) -> Result<(), ServiceError> {
        let user = users::by_id(&self.db, session.user_id)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        self.reserve_attempt(&user.email, client).await?;
        let pw_ok = self
            .hasher
            .verify(password, user.password_hash.clone())
            .await?
            .ok;
        let second_ok = !user.totp_enabled
            || match code {
                Some(c) => {
                    pw_ok
                        && (self.check_totp(&user, c, false).await?
                            || self.check_recovery(&user, c).await?)
                }
                None => false,
            };
        if !(pw_ok && second_ok) {
            return Err(ServiceError::BadCredentials);
        }
        self.settle_attempt(&user.email, client).await?;
        match tarello_store::identity::deletion::delete_account(
            &self.db,
            user.user_id,
            &client.actor(user.user_id),
            self.now(),
        )
        .await?
        {
            tarello_store::identity::deletion::Deletion::Done => {
                self.event("account.deleted", Some(user.user_id), client)
                    .await;
                Ok(())
            }
            tarello_store::identity::deletion::Deletion::LastAdmin(_) => {
                Err(ServiceError::LastAdmin)
            }
        }
    }
}
