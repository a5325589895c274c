//! Rank keys: strings whose byte order is the order of cards in a list (and
//! of lists on a board). A new key is made *between* two neighbours, so a
//! move or an insert writes one row and never renumbers its siblings.
//!
//! Keys are base-62 digits `0-9A-Za-z` (ASCII order = digit order; the
//! column uses `COLLATE "C"`), never empty and never ending in `0`, so there
//! is always room below a key. Read as fractions `0.d1d2…`, `between` picks
//! a value strictly inside the interval; at either end it bumps one digit so
//! appending keeps keys short (one more character per ~30 appends).

const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE: u8 = 62;

/// Longest key accepted from storage; far beyond anything `between` makes
/// for realistic lists.
pub const MAX_LEN: usize = 512;

fn value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'Z' => Some(c - b'A' + 10),
        b'a'..=b'z' => Some(c - b'a' + 36),
        _ => None,
    }
}

fn digit(v: u8) -> u8 {
    DIGITS.get(usize::from(v)).copied().unwrap_or(b'z')
}

/// Is `key` a well-formed rank key?
pub fn is_valid(key: &str) -> bool {
    let b = key.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_LEN
        && b.iter().all(|&c| value(c).is_some())
        && b.last() != Some(&b'0')
}

/// A key strictly between `lo` and `hi` (`None` = open end). `None` when
/// the bounds are malformed or not in order.
pub fn between(lo: Option<&str>, hi: Option<&str>) -> Option<String> {
    let lo_digits = match lo {
        Some(k) if !is_valid(k) => return None,
        Some(k) => k.bytes().filter_map(value).collect(),
        None => Vec::new(),
    };
    let hi_digits = match hi {
        Some(k) if !is_valid(k) => return None,
        Some(k) => Some(k.bytes().filter_map(value).collect::<Vec<u8>>()),
        None => None,
    };
    if let (Some(l), Some(h)) = (lo, hi)
        && l >= h
    {
        return None;
    }
    let out = match (&lo_digits[..], hi_digits.as_deref()) {
        ([], None) => vec![BASE / 2],
        (l, None) => after(l),
        ([], Some(h)) => before(h).unwrap_or_else(|| midpoint(&[], Some(h))),
        (l, Some(h)) => midpoint(l, Some(h)),
    };
    Some(out.into_iter().map(|d| char::from(digit(d))).collect())
}

/// A short key after `l`: bump its first digit below the top.
fn after(l: &[u8]) -> Vec<u8> {
    match l.iter().position(|&d| d < BASE - 1) {
        Some(i) => {
            let mut k = l.get(..i).unwrap_or_default().to_vec();
            k.push(l.get(i).copied().unwrap_or(0) + 1);
            k
        }
        None => {
            let mut k = l.to_vec();
            k.push(BASE / 2);
            k
        }
    }
}

/// A short key before `h`: lower its first digit above 1.
fn before(h: &[u8]) -> Option<Vec<u8>> {
    let i = h.iter().position(|&d| d > 1)?;
    let mut k = h.get(..i).unwrap_or_default().to_vec();
    k.push(h.get(i).copied().unwrap_or(2) - 1);
    Some(k)
}

/// Digits strictly between `a` (a fraction; missing digits are 0) and `b`
/// (`None` = 1.0), with no trailing zero.
fn midpoint(a: &[u8], b: Option<&[u8]>) -> Vec<u8> {
    if let Some(b) = b {
        // Shared prefix (with `a` padded by zeros): keep it, recurse.
        let mut n = 0;
        while let Some(&bd) = b.get(n) {
            if a.get(n).copied().unwrap_or(0) != bd {
                break;
            }
            n += 1;
        }
        if n > 0 {
            let mut k = b.get(..n).unwrap_or_default().to_vec();
            k.extend(midpoint(a.get(n..).unwrap_or_default(), b.get(n..)));
            return k;
        }
    }
    let da = a.first().copied().unwrap_or(0);
    let db = b.and_then(|b| b.first().copied()).unwrap_or(BASE);
    if db - da > 1 {
        return vec![(da + db).div_ceil(2).min(db - 1)];
    }
    // Adjacent first digits: when `b` is longer, its first digit alone lies
    // between; otherwise keep `a`'s digit and go one place deeper.
    if let Some(b) = b
        && b.len() > 1
    {
        return vec![db];
    }
    let mut k = vec![da];
    k.extend(midpoint(a.get(1..).unwrap_or_default(), None));
    k
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn first_key_and_ends() {
        let first = between(None, None).unwrap();
        assert_eq!(first, "V");
        let next = between(Some(&first), None).unwrap();
        assert!(next > first);
        let prev = between(None, Some(&first)).unwrap();
        assert!(prev < first);
        assert_eq!(between(Some("b"), Some("a")), None);
        assert_eq!(between(Some("a"), Some("a")), None);
        assert_eq!(between(Some("a0"), None), None);
        assert_eq!(between(Some("a-"), None), None);
    }

    #[test]
    fn appending_five_thousand_stays_short() {
        let mut last: Option<String> = None;
        for _ in 0..5000 {
            let k = between(last.as_deref(), None).unwrap();
            if let Some(l) = &last {
                assert!(k.as_str() > l.as_str());
            }
            last = Some(k);
        }
        assert!(last.unwrap().len() <= 200);
        let mut first: Option<String> = None;
        for _ in 0..5000 {
            let k = between(None, first.as_deref()).unwrap();
            if let Some(f) = &first {
                assert!(k.as_str() < f.as_str());
            }
            first = Some(k);
        }
        assert!(first.unwrap().len() <= 200);
    }

    fn key() -> impl Strategy<Value = String> {
        "[0-9A-Za-z]{0,8}[1-9A-Za-z]"
    }

    proptest! {
        #[test]
        fn between_is_strictly_inside(a in key(), b in key()) {
            prop_assume!(a != b);
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            let k = between(Some(&lo), Some(&hi)).unwrap();
            prop_assert!(is_valid(&k), "{k}");
            prop_assert!(lo < k && k < hi, "{lo} < {k} < {hi}");
            let below = between(None, Some(&lo)).unwrap();
            prop_assert!(is_valid(&below) && below < lo);
            let above = between(Some(&hi), None).unwrap();
            prop_assert!(is_valid(&above) && above > hi);
        }

        #[test]
        fn repeated_inserts_at_one_place_keep_order(n in 1usize..200, seed in any::<u64>()) {
            let mut keys = vec![between(None, None).unwrap()];
            let mut s = seed;
            for _ in 0..n {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let i = (s >> 33) as usize % (keys.len() + 1);
                let lo = i.checked_sub(1).and_then(|j| keys.get(j)).map(String::as_str);
                let hi = keys.get(i).map(String::as_str);
                let k = between(lo, hi).unwrap();
                prop_assert!(is_valid(&k));
                keys.insert(i, k);
            }
            let mut sorted = keys.clone();
            sorted.sort();
            sorted.dedup();
            prop_assert_eq!(sorted, keys);
        }
    }
}
