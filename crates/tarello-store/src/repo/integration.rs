//! Integration credentials: the secret is encrypted under the workspace's
//! data key, bound to this table, column and row.

use tarello_crypto::{FieldCipher, FieldPlace, SecretString};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{StoreError, TenantTx};

pub async fn insert(
    tx: &mut TenantTx,
    cipher: &FieldCipher,
    id: Uuid,
    kind: &str,
    secret: &SecretString,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let row = id.to_string();
    let place = FieldPlace::new(tx.workspace().0, "integration", "secret", &row);
    let stored = cipher.encrypt(&place, secret.expose().as_bytes())?;
    sqlx::query(
        "INSERT INTO integration (integration_id, kind, secret, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(kind)
    .bind(stored)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Decrypts the stored secret. A ciphertext moved here from another row,
/// column or workspace fails to decrypt.
pub async fn secret(
    tx: &mut TenantTx,
    cipher: &FieldCipher,
    id: Uuid,
) -> Result<Option<SecretString>, StoreError> {
    let stored: Option<String> =
        sqlx::query_scalar("SELECT secret FROM integration WHERE integration_id = $1")
            .bind(id)
            .fetch_optional(tx.conn())
            .await?;
    let Some(stored) = stored else {
        return Ok(None);
    };
    let row = id.to_string();
    let place = FieldPlace::new(tx.workspace().0, "integration", "secret", &row);
    let plain = cipher.decrypt(&place, &stored)?;
    let text = String::from_utf8(plain.expose().clone())
        .map_err(|_| tarello_crypto::CryptoError::FieldDecrypt)?;
    Ok(Some(SecretString::new(text)))
}
