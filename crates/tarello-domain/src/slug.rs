//! Workspace slugs: what users type in URLs (`/workspaces/{slug}`). A slug is
//! only ever a lookup key; it never becomes part of SQL or a database name.

use std::fmt;

use serde::{Deserialize, Serialize};

pub const SLUG_MIN: usize = 2;
pub const SLUG_MAX: usize = 40;

/// Names that would collide with routes or confuse people.
const RESERVED: &[&str] = &[
    "api", "admin", "app", "auth", "control", "files", "healthz", "me", "metrics", "new", "public",
    "readyz", "root", "settings", "static", "support", "system", "www",
];

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Slug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("a slug has {SLUG_MIN} to {SLUG_MAX} characters; this one has {0}")]
    Length(usize),
    #[error(
        "a slug uses only lower-case letters a-z, digits and single hyphens, starts with a letter and does not end with a hyphen"
    )]
    Charset,
    #[error("`{0}` is reserved; choose another slug")]
    Reserved(String),
}

impl Slug {
    pub fn parse(raw: &str) -> Result<Slug, SlugError> {
        let len = raw.chars().count();
        if !(SLUG_MIN..=SLUG_MAX).contains(&len) {
            return Err(SlugError::Length(len));
        }
        let bytes = raw.as_bytes();
        let ok_chars = bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
        let starts_with_letter = bytes.first().is_some_and(u8::is_ascii_lowercase);
        let ends_ok = bytes.last().is_some_and(|b| *b != b'-');
        if !ok_chars || !starts_with_letter || !ends_ok || raw.contains("--") {
            return Err(SlugError::Charset);
        }
        if RESERVED.contains(&raw) {
            return Err(SlugError::Reserved(raw.to_owned()));
        }
        Ok(Slug(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Slug {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Slug::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_ordinary_slugs() {
        for s in ["acme", "globex", "a1", "team-42-eu"] {
            assert_eq!(Slug::parse(s).map(|s| s.to_string()), Ok(s.to_owned()));
        }
    }

    #[test]
    fn refuses_sql_metacharacters_and_long_input() {
        for s in [
            "acme'; drop schema control cascade; --",
            "a\"b",
            "Acme",
            "-acme",
            "acme-",
            "ac--me",
            "ac me",
            "ünï",
            "x",
        ] {
            assert!(Slug::parse(s).is_err(), "{s:?} must be refused");
        }
        assert_eq!(Slug::parse(&"a".repeat(300)), Err(SlugError::Length(300)));
        assert!(matches!(Slug::parse("api"), Err(SlugError::Reserved(_))));
    }

    proptest! {
        #[test]
        fn any_accepted_slug_is_plain_ascii(raw in "\\PC{0,60}") {
            if let Ok(slug) = Slug::parse(&raw) {
                prop_assert!(slug.as_str().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
                prop_assert!((SLUG_MIN..=SLUG_MAX).contains(&slug.as_str().len()));
            }
        }

        #[test]
        fn well_formed_slugs_round_trip(raw in "[a-z][a-z0-9]{1,20}(-[a-z0-9]{1,8}){0,2}") {
            prop_assume!(!RESERVED.contains(&raw.as_str()));
            prop_assert_eq!(Slug::parse(&raw).map(|s| s.to_string()), Ok(raw.clone()));
        }
    }
}
