//! Links of the history chain (AUD-4).
//!
//! Each sealed event's link is `HMAC-SHA256(k, "link" || previous link ||
//! event)`, with `k` derived from the workspace data key. The key lives
//! outside the database (wrapped by the KEK), so a database superuser can
//! neither alter an event and recompute the links after it, nor forge a
//! checkpoint. Events are encoded by [`Encoder`]: every field length
//! prefixed, so no two different events share an encoding.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::datakey::DataKey;
use crate::secret::Secret;

type HmacSha256 = Hmac<Sha256>;

/// A link: 32 bytes.
pub type Link = [u8; 32];

/// The link before the first event of a chain.
pub const GENESIS: Link = [0u8; 32];

/// The chain key of one data-key version.
pub struct SealKey(Secret<[u8; 32]>);

impl fmt::Debug for SealKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealKey(***)")
    }
}

impl SealKey {
    /// Derived, so the data key itself never keys anything but data.
    pub fn derive(data_key: &DataKey) -> SealKey {
        SealKey(Secret::new(mac(
            data_key.expose_bytes(),
            &[b"tarello history seal v1"],
        )))
    }

    /// The link of `event` after `prev`.
    pub fn link(&self, prev: &Link, event: &[u8]) -> Link {
        mac(self.0.expose(), &[b"link", prev, event])
    }

    /// The MAC of a checkpoint's encoded fields.
    pub fn checkpoint(&self, fields: &[u8]) -> Link {
        mac(self.0.expose(), &[b"checkpoint", fields])
    }
}

fn mac(key: &[u8], parts: &[&[u8]]) -> Link {
    // HMAC takes keys of any length; this cannot fail.
    let Ok(mut m) = <HmacSha256 as Mac>::new_from_slice(key) else {
        return GENESIS;
    };
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// Length-prefixed encoding of an event or checkpoint.
#[derive(Debug, Default)]
pub struct Encoder(Vec<u8>);

impl Encoder {
    pub fn new() -> Encoder {
        Encoder(Vec::with_capacity(512))
    }

    /// A field; `None` encodes differently from every string, the empty one included.
    pub fn field(&mut self, v: Option<&[u8]>) -> &mut Encoder {
        match v {
            None => self.0.push(0),
            Some(b) => {
                self.0.push(1);
                self.0
                    .extend_from_slice(&u64::try_from(b.len()).unwrap_or(u64::MAX).to_be_bytes());
                self.0.extend_from_slice(b);
            }
        }
        self
    }

    pub fn text(&mut self, v: Option<&str>) -> &mut Encoder {
        self.field(v.map(str::as_bytes))
    }

    pub fn int(&mut self, v: i64) -> &mut Encoder {
        self.field(Some(&v.to_be_bytes()))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> SealKey {
        SealKey::derive(&DataKey::from_bytes([b; 32]))
    }

    #[test]
    fn links_depend_on_key_previous_link_and_event() {
        let k = key(1);
        let a = k.link(&GENESIS, b"event");
        assert_ne!(a, k.link(&GENESIS, b"evenT"));
        assert_ne!(a, k.link(&a, b"event"));
        assert_ne!(a, key(2).link(&GENESIS, b"event"));
        assert_eq!(a, k.link(&GENESIS, b"event"));
        assert_ne!(k.checkpoint(b"event"), a);
        assert_eq!(format!("{k:?}"), "SealKey(***)");
    }

    #[test]
    fn encoding_is_unambiguous() {
        let enc = |f: &[Option<&str>]| {
            let mut e = Encoder::new();
            for v in f {
                e.text(*v);
            }
            e.bytes().to_vec()
        };
        assert_ne!(enc(&[Some("ab"), Some("c")]), enc(&[Some("a"), Some("bc")]));
        assert_ne!(enc(&[None]), enc(&[Some("")]));
        assert_ne!(enc(&[Some(""), None]), enc(&[None, Some("")]));
    }
}
