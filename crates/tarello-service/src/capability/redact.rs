//! What of a request body the capability log keeps: the shape and the
//! ordinary values, never a credential. A value under a key that names a
//! secret becomes `***` whatever it is (a string, a number, a whole
//! object); long strings are cut so the log does not become a copy of
//! everyone's text.

use serde_json::{Map, Value};

/// Keys whose values are never logged: any key containing one of these
/// (case-insensitive), e.g. `password`, `totp_code`, `api_key`.
const SECRET_KEYS: [&str; 7] = [
    "password", "code", "token", "secret", "totp", "key", "recovery",
];

/// Strings longer than this many characters are cut (and end with `…`).
pub const MAX_STRING: usize = 200;

pub const MASK: &str = "***";

pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_lowercase();
    SECRET_KEYS.iter().any(|s| key.contains(s))
}

/// The redacted copy of `v`.
pub fn redact(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if is_secret_key(k) {
                        Value::String(MASK.to_owned())
                    } else {
                        redact(v)
                    };
                    (cut(k), v)
                })
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        Value::String(s) => Value::String(cut(s)),
        other => other.clone(),
    }
}

fn cut(s: &str) -> String {
    if s.chars().count() <= MAX_STRING {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(MAX_STRING).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    // proves: AUD-3
    #[test]
    fn secrets_are_masked_at_any_depth_and_long_text_is_cut() {
        let long = "x".repeat(500);
        let got = redact(&json!({
            "title": "Plan",
            "Password": "hunter2",
            "nested": {"totp_code": 123456, "list": [{"api_key": {"a": 1}}, {"note": long}]},
            "recovery_codes": ["a", "b"],
            "refresh_token": "trr_x",
            "client_secret": "s",
            "count": 3,
        }));
        assert_eq!(got["title"], "Plan");
        assert_eq!(got["Password"], MASK);
        assert_eq!(got["nested"]["totp_code"], MASK);
        assert_eq!(got["nested"]["list"][0]["api_key"], MASK);
        assert_eq!(got["recovery_codes"], MASK);
        assert_eq!(got["refresh_token"], MASK);
        assert_eq!(got["client_secret"], MASK);
        assert_eq!(got["count"], 3);
        let note = got["nested"]["list"][1]["note"].as_str().unwrap();
        assert_eq!(note.chars().count(), MAX_STRING + 1);
        assert!(note.ends_with('…'));
        assert!(!got.to_string().contains("hunter2"));
    }

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            ".{0,300}".prop_map(Value::String),
        ];
        leaf.prop_recursive(5, 64, 6, |inner| {
            let key = prop_oneof![
                "[a-z_]{1,12}",
                "[a-zA-Z_]{0,5}(password|PassWord|PASSWORD)[a-z_]{0,5}",
            ];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(key, inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// No key containing "password" keeps its value, however deep.
    fn no_password_survives(v: &Value) -> bool {
        match v {
            Value::Object(m) => m.iter().all(|(k, v)| {
                if k.to_lowercase().contains("password") {
                    v == &Value::String(MASK.to_owned())
                } else {
                    no_password_survives(v)
                }
            }),
            Value::Array(items) => items.iter().all(no_password_survives),
            Value::String(s) => s.chars().count() <= MAX_STRING + 1,
            _ => true,
        }
    }

    proptest! {
        // proves: AUD-3, ENC-6
        #[test]
        fn no_password_value_survives_redaction(v in any_json()) {
            prop_assert!(no_password_survives(&redact(&v)));
        }
    }
}
