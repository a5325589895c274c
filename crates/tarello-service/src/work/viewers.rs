//! Card viewers: add (idempotent; the user must be an active member of the
//! workspace who can see the card) and remove.

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
        // A viewer follows the card: they must be able to see it (a private
        // board's cards are for its members and the admins only).
        let role = self.active_member(caller, user_id).await?;
        let sees = viewer::card_visible_to(&mut tx, &grant, card_id, user_id, role == "admin");
        if !found(sees.await?)? {
            return Err(ServiceError::Invalid {
                field: "user_id",
                message: "this person cannot see the card: it is on a private board they are not a member of".into(),
            });
        }
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
