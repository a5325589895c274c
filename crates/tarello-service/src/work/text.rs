//! Text fields: trimmed where that is the user's intent, bounded in
//! characters, free of control characters (newlines and tabs allowed in
//! long text). One rule per field, checked before anything is written.

use crate::ServiceError;

#[derive(Debug, Clone, Copy)]
pub struct TextRule {
    pub field: &'static str,
    pub min: usize,
    pub max: usize,
    /// Long text (descriptions, comments) may span lines.
    pub multiline: bool,
}

impl TextRule {
    pub const fn line(field: &'static str, min: usize, max: usize) -> TextRule {
        TextRule {
            field,
            min,
            max,
            multiline: false,
        }
    }

    pub const fn text(field: &'static str, min: usize, max: usize) -> TextRule {
        TextRule {
            field,
            min,
            max,
            multiline: true,
        }
    }

    /// The value to store, or a 422 naming the field.
    pub fn check<'a>(&self, value: &'a str) -> Result<&'a str, ServiceError> {
        let v = if self.multiline { value } else { value.trim() };
        let n = v.chars().count();
        let bad_char = v
            .chars()
            .any(|c| c.is_control() && !(self.multiline && matches!(c, '\n' | '\r' | '\t')));
        if n < self.min || n > self.max || bad_char || (self.min > 0 && v.trim().is_empty()) {
            return Err(ServiceError::Invalid {
                field: self.field,
                message: format!(
                    "{} has {} to {} characters{}",
                    self.field,
                    self.min,
                    self.max,
                    if self.multiline { "" } else { " on one line" }
                ),
            });
        }
        Ok(v)
    }

    pub fn check_opt<'a>(&self, value: Option<&'a str>) -> Result<Option<&'a str>, ServiceError> {
        value.map(|v| self.check(v)).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_control_characters() {
        let r = TextRule::line("name", 1, 5);
        assert_eq!(r.check("  ab ").unwrap(), "ab");
        assert!(r.check("   ").is_err());
        assert!(r.check("abcdef").is_err());
        assert!(r.check("a\nb").is_err());
        assert!(r.check("a\u{0}b").is_err());
        let t = TextRule::text("body", 1, 10);
        assert_eq!(t.check("a\nb").unwrap(), "a\nb");
        assert!(t.check("a\u{7}").is_err());
        assert!(TextRule::text("d", 0, 3).check("").is_ok());
    }
}
