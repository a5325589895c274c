//! Argon2id on a bounded blocking pool: at most `concurrency` hashes run at
//! once, so a login flood queues here instead of starving other requests.

use std::sync::Arc;

use tarello_crypto::{PasswordHasher, PasswordParams, SecretString, Verified};
use tokio::sync::Semaphore;

use crate::ServiceError;

pub(crate) struct Hashing {
    hasher: Arc<PasswordHasher>,
    permits: Arc<Semaphore>,
}

impl Hashing {
    pub fn new(params: PasswordParams, concurrency: usize) -> Result<Hashing, ServiceError> {
        Ok(Hashing {
            hasher: Arc::new(PasswordHasher::new(params)?),
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&PasswordHasher) -> T + Send + 'static,
    ) -> Result<T, ServiceError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ServiceError::Internal("hash pool closed".into()))?;
        let hasher = Arc::clone(&self.hasher);
        tokio::task::spawn_blocking(move || f(&hasher))
            .await
            .map_err(|_| ServiceError::Internal("hash task failed".into()))
    }

    pub async fn hash(&self, password: SecretString) -> Result<String, ServiceError> {
        self.run(move |h| h.hash(&password))
            .await?
            .map_err(Into::into)
    }

    pub async fn verify(
        &self,
        password: SecretString,
        phc: String,
    ) -> Result<Verified, ServiceError> {
        self.run(move |h| h.verify(&password, &phc))
            .await?
            .map_err(Into::into)
    }

    /// Same cost as a real verify, for unknown accounts.
    pub async fn dummy(&self, password: SecretString) -> Result<(), ServiceError> {
        self.run(move |h| h.dummy_verify(&password)).await
    }
}
