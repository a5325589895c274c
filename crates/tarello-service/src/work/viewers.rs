//! Card viewers: add (idempotent; the user must be an active member of the
//! workspace) and remove.

use tarello_domain::policy::Action;
use tarello_store::repo::target::Target;
use tarello_store::repo::viewer;
use uuid::Uuid;

use super::{found, permit};
use crate::{Caller, ServiceError, Services};

impl Services {
    pub async fn add_viewer(
        &self,
        caller: &Caller,
        card_id: Uuid,
        user_id: Uuid,
    ) -> Result<(), ServiceError> {
        let mut tx = self.tenant(caller).await?;
        let grant = permit(&mut tx, caller, Action::ViewerAdd, Target::Card(card_id)).await?;
        self.active_member(caller, user_id).await?;
        let now = self.clock.now();
        found(viewer::add(&mut tx, &grant, card_id, user_id, now).await?)?;
        tx.commit().await?;
        Ok(())
    }

    /// NotFound when the user was not a viewer. No membership check: a
    /// member who has left can still be taken off.
    pub async fn remove_viewer(
        &self,
        caller: &Caller,
        card_id: Uuid,
        user_id: Uuid,
    ) -> Result<(), ServiceError> {
        let mut tx = self.tenant(caller).await?;
        let grant = permit(&mut tx, caller, Action::ViewerRemove, Target::Card(card_id)).await?;
        if !viewer::remove(&mut tx, &grant, card_id, user_id).await? {
            return Err(ServiceError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }
}
