//! Two-factor authentication with TOTP: enrol (secret encrypted under the
//! control data key, bound to the user's row), confirm with a code (then 10
//! single-use recovery codes, stored as peppered hashes), and disable with
//! password and code. Each code is accepted once per time step.

use serde::Serialize;
use tarello_crypto::totp::{self as topt, TotpSecret};
use tarello_crypto::{FieldPlace, SecretString};
use tarello_store::identity::sessions::SessionRow;
use tarello_store::identity::{totp, users};
use uuid::Uuid;

use crate::{Client, ServiceError, Services};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Enrolment {
    /// Base32, for typing into an authenticator.
    #[schema(value_type = String)]
    pub secret: SecretString,
    /// `otpauth://totp/...`, for a QR code.
    #[schema(value_type = String)]
    pub otpauth_uri: SecretString,
}

impl Services {
    async fn totp_secret_of(
        &self,
        user_id: Uuid,
        sealed: &str,
    ) -> Result<TotpSecret, ServiceError> {
        let secrets = self.control_secrets().await?;
        let cipher = &secrets.0;
        let row = user_id.to_string();
        let place = FieldPlace::new(Uuid::nil(), "user_account", "totp_secret", &row);
        let raw = cipher.decrypt(&place, sealed)?;
        Ok(TotpSecret::from_bytes(raw.expose().clone())?)
    }

    /// Checks a TOTP code and records its step (replay refused).
    pub(crate) async fn check_totp(
        &self,
        user: &users::UserRow,
        code: &str,
        enable: bool,
    ) -> Result<bool, ServiceError> {
        let Some(sealed) = &user.totp_secret else {
            return Ok(false);
        };
        let secret = self.totp_secret_of(user.user_id, sealed).await?;
        let now = u64::try_from(self.clock.now().unix_timestamp()).unwrap_or(0);
        let Some(step) = topt::check(&secret, code, now, user.totp_last_step) else {
            return Ok(false);
        };
        Ok(totp::accept_step(&self.db, user.user_id, step, enable).await?)
    }

    pub(crate) async fn check_recovery(
        &self,
        user: &users::UserRow,
        code: &str,
    ) -> Result<bool, ServiceError> {
        let secrets = self.control_secrets().await?;
        let pepper = &secrets.1;
        let Some(hash) = topt::hash_recovery_code(pepper, &user.user_id.to_string(), code) else {
            return Ok(false);
        };
        Ok(totp::use_recovery_code(&self.db, user.user_id, &hash, self.clock.now()).await?)
    }

    async fn user_of(&self, session: &SessionRow) -> Result<users::UserRow, ServiceError> {
        users::by_id(&self.db, session.user_id)
            .await?
            .ok_or(ServiceError::Unauthenticated)
    }

    /// `POST /me/totp`.
    pub async fn enrol_totp(
        &self,
        session: &SessionRow,
        client: &Client,
    ) -> Result<Enrolment, ServiceError> {
        let user = self.user_of(session).await?;
        if user.totp_enabled {
            return Err(ServiceError::Conflict(
                "two-factor authentication is already on; turn it off first".into(),
            ));
        }
        let secret = TotpSecret::generate();
        let secrets = self.control_secrets().await?;
        let cipher = &secrets.0;
        let row = user.user_id.to_string();
        let place = FieldPlace::new(Uuid::nil(), "user_account", "totp_secret", &row);
        let sealed = cipher.encrypt(&place, secret.expose_bytes())?;
        if !totp::set_pending_secret(&self.db, user.user_id, &sealed).await? {
            return Err(ServiceError::Conflict(
                "two-factor authentication is already on".into(),
            ));
        }
        self.event("totp.enrolment_started", Some(user.user_id), client)
            .await;
        Ok(Enrolment {
            otpauth_uri: secret.otpauth_uri("Tarello", &user.email)?,
            secret: secret.to_base32(),
        })
    }

    /// `POST /me/totp/confirm`: turns TOTP on and returns the recovery codes, once.
    pub async fn confirm_totp(
        &self,
        session: &SessionRow,
        code: &str,
        client: &Client,
    ) -> Result<Vec<SecretString>, ServiceError> {
        let user = self.user_of(session).await?;
        if user.totp_enabled || user.totp_secret.is_none() {
            return Err(ServiceError::Conflict(
                "start enrolment with POST /me/totp first".into(),
            ));
        }
        self.reserve_attempt(&user.email, client).await?;
        if !self.check_totp(&user, code, true).await? {
            return Err(ServiceError::BadCode);
        }
        self.settle_attempt(&user.email, client).await?;
        let codes = topt::recovery_codes(10);
        let secrets = self.control_secrets().await?;
        let pepper = &secrets.1;
        let subject = user.user_id.to_string();
        let hashes: Vec<String> = codes
            .iter()
            .filter_map(|c| topt::hash_recovery_code(pepper, &subject, c.expose()))
            .collect();
        totp::set_recovery_codes(&self.db, user.user_id, &hashes).await?;
        self.event("totp.enabled", Some(user.user_id), client).await;
        Ok(codes)
    }

    /// `DELETE /me/totp`: needs the password and a current code (or a recovery code).
    pub async fn disable_totp(
        &self,
        session: &SessionRow,
        password: SecretString,
        code: &str,
        client: &Client,
    ) -> Result<(), ServiceError> {
        let user = self.user_of(session).await?;
        if !user.totp_enabled {
            return Err(ServiceError::Conflict(
                "two-factor authentication is off".into(),
            ));
        }
        self.reserve_attempt(&user.email, client).await?;
        let pw_ok = self
            .hasher
            .verify(password, user.password_hash.clone())
            .await?
            .ok;
        let code_ok = pw_ok
            && (self.check_totp(&user, code, false).await?
                || self.check_recovery(&user, code).await?);
        if !code_ok {
            return Err(ServiceError::BadCredentials);
        }
        self.settle_attempt(&user.email, client).await?;
        totp::disable(&self.db, user.user_id).await?;
        self.event("totp.disabled", Some(user.user_id), client)
            .await;
        Ok(())
    }
}
