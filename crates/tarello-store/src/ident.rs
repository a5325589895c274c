//! The one place that checks names before they are put into SQL text.
//! Identifiers cannot be bind parameters, so every name that is formatted
//! into a statement passes through [`checked`] first.

use crate::StoreError;

/// Accepts only `[a-z_][a-z0-9_]{0,62}`: such a name needs no quoting and
/// cannot close a quote, start a comment or end a statement.
pub(crate) fn checked(name: &str) -> Result<&str, StoreError> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if first_ok && rest_ok && name.len() <= 63 && !name.starts_with("pg_") {
        Ok(name)
    } else {
        Err(StoreError::BadRoleName(name.to_owned()))
    }
}

/// A string literal for the few utility statements that take no parameters
/// (e.g. `ALTER ROLE … PASSWORD`). standard_conforming_strings is on since
/// PostgreSQL 9.1, so doubling single quotes is the whole escape.
pub(crate) fn literal(value: &str) -> Result<String, StoreError> {
    if value.contains('\0') {
        return Err(StoreError::BadRoleName("<password with NUL>".into()));
    }
    Ok(format!("'{}'", value.replace('\'', "''")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_anything_but_plain_names() {
        assert!(checked("tarello_app").is_ok());
        assert!(checked("t_0123456789abcdef0123456789abcdef").is_ok());
        for bad in [
            "",
            "A",
            "a-b",
            "a;b",
            "a\"b",
            "pg_read_all_data",
            "1a",
            "a b",
        ] {
            assert!(checked(bad).is_err(), "{bad:?}");
        }
        assert!(checked(&"a".repeat(64)).is_err());
        assert_eq!(literal("it's").unwrap(), "'it''s'");
    }
}
