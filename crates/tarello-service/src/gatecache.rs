//! A short-lived cache of each workspace's control row and public signing
//! keys, so a workspace request costs one control-plane query (membership
//! and session, which are never cached: RBAC-5 and revocation stay
//! immediate) instead of three. A token that fails against cached keys is
//! checked once more against fresh ones, so a key rotated moments ago works
//! at once; a retired key can outlive its grace by at most the TTL.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tarello_crypto::PublicKey;
use tarello_store::Workspace;

const TTL: Duration = Duration::from_secs(10);
/// Bounded: a flood of distinct slugs cannot grow it without limit.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Clone)]
pub(crate) struct Gate {
    pub workspace: Workspace,
    pub keys: Vec<PublicKey>,
}

#[derive(Debug, Default)]
pub(crate) struct GateCache {
    entries: Mutex<HashMap<String, (Instant, Gate)>>,
}

impl GateCache {
    pub fn get(&self, slug: &str) -> Option<Gate> {
        let map = self.entries.lock().ok()?;
        map.get(slug)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, g)| g.clone())
    }

    pub fn put(&self, slug: &str, gate: Gate) {
        if let Ok(mut map) = self.entries.lock() {
            if map.len() >= MAX_ENTRIES {
                map.retain(|_, (at, _)| at.elapsed() < TTL);
                if map.len() >= MAX_ENTRIES {
                    map.clear();
                }
            }
            map.insert(slug.to_owned(), (Instant::now(), gate));
        }
    }

    pub fn forget(&self, slug: &str) {
        if let Ok(mut map) = self.entries.lock() {
            map.remove(slug);
        }
    }
}
