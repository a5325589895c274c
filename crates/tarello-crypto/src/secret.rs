//! A typed wrapper for secret values.
//!
//! Invariant: a [`Secret`] renders as exactly `***` through `Debug`,
//! `Display` and `serde::Serialize`, so it cannot leak into logs, errors,
//! JSON or audit payloads by formatting; the value is read only through
//! [`Secret::expose`] and is zeroized when dropped.

use std::fmt;

use zeroize::Zeroize;

/// The text every secret renders as.
pub const REDACTED: &str = "***";

/// A secret value: redacted in every rendering, zeroized on drop.
pub struct Secret<T: Zeroize>(T);

/// A secret string (passwords, key text, tokens).
pub type SecretString = Secret<String>;

impl<T: Zeroize> Secret<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// Reads the secret. Keep the borrow short and never format it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize + Clone> Clone for Secret<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: Zeroize> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl<T: Zeroize> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T: Zeroize> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T: Zeroize> serde::Serialize for Secret<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

/// Deserializing reads the real value (e.g. from a config file); note that
/// serializing it again yields `***`, never the value.
impl<'de, T: Zeroize + serde::Deserialize<'de>> serde::Deserialize<'de> for Secret<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = "hunter2-very-secret";

    // proves: ENC-6
    #[test]
    fn debug_and_display_are_redacted() {
        let s = SecretString::from(VALUE);
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{s:#?}"), "***");
        let nested = Some(vec![s.clone()]);
        let rendered = format!("{nested:?}");
        assert!(!rendered.contains(VALUE), "{rendered}");
        assert_eq!(s.expose(), VALUE);
    }

    // proves: ENC-6
    #[test]
    fn serde_renders_redacted() {
        #[derive(serde::Serialize)]
        struct Login<'a> {
            user: &'a str,
            password: &'a SecretString,
        }
        let s = SecretString::from(VALUE);
        let json = serde_json::to_string(&Login {
            user: "ann",
            password: &s,
        })
        .unwrap();
        assert_eq!(json, r#"{"user":"ann","password":"***"}"#);
        assert!(!json.contains(VALUE));
        let bytes = Secret::new(b"raw-bytes".to_vec());
        assert_eq!(serde_json::to_string(&bytes).unwrap(), r#""***""#);
        assert_eq!(format!("{bytes:?}"), "***");
    }

    #[test]
    fn deserialize_reads_value_but_reserializes_redacted() {
        let s: SecretString = serde_json::from_str(r#""pw""#).unwrap();
        assert_eq!(s.expose(), "pw");
        assert_eq!(serde_json::to_string(&s).unwrap(), r#""***""#);
    }
}
