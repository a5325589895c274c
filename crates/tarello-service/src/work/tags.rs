//! Tags: list (paged), create (a name unique ignoring case, a `#rrggbb`
//! colour), and putting them on and taking them off cards.

use serde::{Deserialize, Serialize};
use tarello_domain::policy::Action;
use tarello_store::repo::tag::{self, NewTag, Tag};
use tarello_store::repo::target::Target;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Cursor, Page, PageQuery, TextRule, found, permit};
use crate::{Caller, ServiceError, Services};

const NAME: TextRule = TextRule::line("name", 1, 50);
const DEFAULT_COLOR: &str = "#888888";

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagInput {
    /// 1 to 50 characters, one line; unique in the workspace ignoring case.
    pub name: String,
    /// `#rrggbb` in lower-case hex; grey when absent.
    #[schema(pattern = "^#[0-9a-f]{6}$")]
    pub color: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TagView {
    pub id: Uuid,
    pub name: String,
    pub color: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<Tag> for TagView {
    fn from(t: Tag) -> Self {
        TagView {
            id: t.tag_id,
            name: t.name,
            color: t.color,
            created_at: t.created_at,
        }
    }
}

/// `#` and six lower-case hex digits, exactly what the table accepts.
fn check_color(c: &str) -> Result<&str, ServiceError> {
    let ok = c.len() == 7
        && c.starts_with('#')
        && c.bytes()
            .skip(1)
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if ok {
        Ok(c)
    } else {
        Err(ServiceError::Invalid {
            field: "color",
            message: "color is #rrggbb in lower-case hex, e.g. #1f6feb".into(),
        })
    }
}

impl Services {
    pub async fn list_tags(
        &self,
        caller: &Caller,
        q: &PageQuery,
    ) -> Result<Page<TagView>, ServiceError> {
        let cursor = Cursor::parse(q, caller.workspace.id)?;
        let grant = caller.authorize(Action::TagRead)?;
        let mut tx = self.tenant(caller).await?;
        let rows = tag::list(&mut tx, &grant, cursor.after, cursor.limit).await?;
        tx.commit().await?;
        let next_cursor = cursor.next(caller.workspace.id, &rows, |t| t.tag_id);
        Ok(Page {
            items: rows.into_iter().map(TagView::from).collect(),
            next_cursor,
        })
    }

    pub async fn create_tag(
        &self,
        caller: &Caller,
        input: &TagInput,
    ) -> Result<TagView, ServiceError> {
        let grant = caller.authorize(Action::TagCreate)?;
        let new = NewTag {
            tag_id: Uuid::now_v7(),
            name: NAME.check(&input.name)?,
            color: check_color(input.color.as_deref().unwrap_or(DEFAULT_COLOR))?,
        };
        let mut tx = self.tenant(caller).await?;
        let Some(t) = tag::create(&mut tx, &grant, &new, self.clock.now()).await? else {
            return Err(ServiceError::Conflict(
                "a tag with this name (ignoring case) already exists".into(),
            ));
        };
        tx.commit().await?;
        Ok(t.into())
    }

    /// `PUT /cards/{id}/tags/{tag_id}`: idempotent.
    pub async fn add_card_tag(
        &self,
        caller: &Caller,
        card_id: Uuid,
        tag_id: Uuid,
    ) -> Result<(), ServiceError> {
        let mut tx = self.tenant(caller).await?;
        let grant = permit(&mut tx, caller, Action::CardTagAdd, Target::Card(card_id)).await?;
        let now = self.clock.now();
        found(tag::add_to_card(&mut tx, &grant, card_id, tag_id, now).await?)?;
        tx.commit().await?;
        Ok(())
    }

    /// `DELETE /cards/{id}/tags/{tag_id}`: NotFound when it was not on it.
    pub async fn remove_card_tag(
        &self,
        caller: &Caller,
        card_id: Uuid,
        tag_id: Uuid,
    ) -> Result<(), ServiceError> {
        let mut tx = self.tenant(caller).await?;
        let target = Target::Card(card_id);
        let grant = permit(&mut tx, caller, Action::CardTagRemove, target).await?;
        if !tag::remove_from_card(&mut tx, &grant, card_id, tag_id).await? {
            return Err(ServiceError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::check_color;

    #[test]
    fn colors_are_lower_case_hex() {
        assert!(check_color("#1f6feb").is_ok());
        for bad in [
            "red", "#1F6FEB", "#12345", "#1234567", "1f6feb0", "#gggggg", "#12345é",
        ] {
            assert!(check_color(bad).is_err(), "{bad}");
        }
    }
}
