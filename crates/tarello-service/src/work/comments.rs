//! Comments: list a card's (paged), add, edit (author only), delete
//! (author, or an admin). Editing another's comment is 403 when the caller
//! can see it and 404 when it cannot.

use serde::{Deserialize, Serialize};
use tarello_domain::policy::Action;
use tarello_store::TenantTx;
use tarello_store::repo::comment::{self, Comment, NewComment};
use tarello_store::repo::target::Target;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Cursor, Page, PageQuery, TextRule, found, must_see, permit};
use crate::{Caller, ServiceError, Services};

const BODY: TextRule = TextRule::text("body", 1, 10_000);

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    /// Markdown source, 1 to 10,000 characters, stored as text and never
    /// rendered by the server.
    pub body: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommentView {
    pub id: Uuid,
    pub card_id: Uuid,
    pub author_id: Uuid,
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
}

impl From<Comment> for CommentView {
    fn from(c: Comment) -> Self {
        CommentView {
            id: c.comment_id,
            card_id: c.card_id,
            author_id: c.author_id,
            body: c.body,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// The answer when an own-scoped write reached no row: 403 saying `why`
/// if the caller can see `target` (it is someone else's), else NotFound.
pub(crate) async fn not_yours(
    tx: &mut TenantTx,
    caller: &Caller,
    target: Target,
    why: &str,
) -> ServiceError {
    match must_see(tx, caller, target).await {
        Ok(()) => ServiceError::Forbidden(why.to_owned()),
        Err(e) => e,
    }
}

impl Services {
    pub async fn list_comments(
        &self,
        caller: &Caller,
        card_id: Uuid,
        q: &PageQuery,
    ) -> Result<Page<CommentView>, ServiceError> {
        let cursor = Cursor::parse(q, caller.workspace.id)?;
        let grant = caller.authorize(Action::CommentRead)?;
        let mut tx = self.tenant(caller).await?;
        let rows = comment::list(&mut tx, &grant, card_id, cursor.after, cursor.limit).await?;
        let rows = found(rows)?;
        tx.commit().await?;
        let next_cursor = cursor.next(caller.workspace.id, &rows, |c| c.comment_id);
        Ok(Page {
            items: rows.into_iter().map(CommentView::from).collect(),
            next_cursor,
        })
    }

    pub async fn create_comment(
        &self,
        caller: &Caller,
        card_id: Uuid,
        input: &CommentInput,
    ) -> Result<CommentView, ServiceError> {
        let body = BODY.check(&input.body)?;
        let mut tx = self.tenant(caller).await?;
        let grant = permit(
            &mut tx,
            caller,
            Action::CommentCreate,
            Target::Card(card_id),
        )
        .await?;
        let new = NewComment {
            comment_id: Uuid::now_v7(),
            body,
        };
        let c = comment::create(&mut tx, &grant, card_id, &new, self.clock.now()).await?;
        let c = found(c)?;
        tx.commit().await?;
        Ok(c.into())
    }

    pub async fn update_comment(
        &self,
        caller: &Caller,
        comment_id: Uuid,
        input: &CommentInput,
    ) -> Result<CommentView, ServiceError> {
        let body = BODY.check(&input.body)?;
        let target = Target::Comment(comment_id);
        let mut tx = self.tenant(caller).await?;
        let grant = permit(&mut tx, caller, Action::CommentUpdate, target).await?;
        let read = caller.authorize(Action::CommentRead)?;
        let now = self.clock.now();
        match comment::update(&mut tx, &grant, &read, comment_id, body, now).await? {
            Some(c) => {
                tx.commit().await?;
                Ok(c.into())
            }
            None => Err(not_yours(
                &mut tx,
                caller,
                target,
                "only its author may edit a comment",
            )
            .await),
        }
    }

    pub async fn delete_comment(
        &self,
        caller: &Caller,
        comment_id: Uuid,
    ) -> Result<(), ServiceError> {
        let target = Target::Comment(comment_id);
        let mut tx = self.tenant(caller).await?;
        let grant = permit(&mut tx, caller, Action::CommentDelete, target).await?;
        let read = caller.authorize(Action::CommentRead)?;
        if !comment::delete(&mut tx, &grant, &read, comment_id).await? {
            let why = "only its author or an admin may delete a comment";
            return Err(not_yours(&mut tx, caller, target, why).await);
        }
        tx.commit().await?;
        Ok(())
    }
}
