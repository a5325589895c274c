//! Email addresses, normalised once: trimmed, NFC-normalised, lower-cased, checked for the
//! shape `local@domain.tld`. One human, one identity (ACC-7).

use crate::ServiceError;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, ServiceError> {
        use unicode_normalization::UnicodeNormalization as _;
        let e: String = raw.trim().nfc().collect::<String>().to_lowercase();
        let bad = |m: &str| ServiceError::Invalid {
            field: "email",
            message: m.to_owned(),
        };
        if e.len() > 254 {
            return Err(bad("an email address has at most 254 characters"));
        }
        let Some((local, domain)) = e.split_once('@') else {
            return Err(bad("not an email address"));
        };
        let ok_domain = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if local.is_empty()
            || local.len() > 64
            || !ok_domain
            || e.chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
        {
            return Err(bad("not an email address"));
        }
        Ok(Email(e))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    // proves: ACC-7
    #[test]
    fn emails_are_one_identity_whatever_their_case_or_spaces() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap(),
            Email::parse("ada@example.com").unwrap()
        );
        // A decomposed "é" (e + combining accent) is the same address as the composed one.
        assert_eq!(
            Email::parse("Ren\u{65}\u{301}@example.com").unwrap(),
            Email::parse("ren\u{e9}@example.com").unwrap()
        );
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@x.io",
            "ada@x..io",
            "<a>@x.io",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
