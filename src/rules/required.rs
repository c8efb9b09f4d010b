//! Bytes that every match of a regex must contain.
//!
//! A keyword window without any of them cannot hold a match, and `memchr`
//! says so far faster than the regex could: a URL-credentials window is a
//! line with `://`, and most such lines (lockfile `resolved` URLs) have no
//! `@`.
//!
//! Invariant: if [`RequiredBytes::of`] returns a set, every match of the
//! regex contains at least one byte of it.

use regex_syntax::hir::{Class, Hir, HirKind};

/// One to three bytes, at least one of which occurs in every match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredBytes {
    bytes: Vec<u8>,
}

/// Largest set that `memchr3` can look for.
const MAX_BYTES: usize = 3;

impl RequiredBytes {
    /// The rarest such set for `hir`, or `None` if none of up to three
    /// bytes is needed (e.g. an alternation of many operators).
    pub fn of(hir: &Hir) -> Option<RequiredBytes> {
        required(hir).map(|bytes| RequiredBytes { bytes })
    }

    /// True if `hay` holds one of the bytes.
    pub fn found_in(&self, hay: &[u8]) -> bool {
        match *self.bytes.as_slice() {
            [a] => memchr::memchr(a, hay).is_some(),
            [a, b] => memchr::memchr2(a, b, hay).is_some(),
            [a, b, c] => memchr::memchr3(a, b, c, hay).is_some(),
            _ => true,
        }
    }
}

fn required(hir: &Hir) -> Option<Vec<u8>> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => None,
        HirKind::Literal(lit) => lit
            .0
            .iter()
            .min_by_key(|&&b| commonness(b))
            .map(|&b| vec![b]),
        HirKind::Class(class) => class_bytes(class),
        HirKind::Repetition(rep) if rep.min > 0 => required(&rep.sub),
        HirKind::Repetition(_) => None,
        HirKind::Capture(cap) => required(&cap.sub),
        HirKind::Concat(subs) => subs
            .iter()
            .filter_map(required)
            .min_by_key(|set| set.iter().map(|&b| commonness(b)).sum::<u32>()),
        HirKind::Alternation(subs) => {
            let mut union = Vec::new();
            for sub in subs {
                union.extend(required(sub)?);
                union.sort_unstable();
                union.dedup();
                if union.len() > MAX_BYTES {
                    return None;
                }
            }
            Some(union)
        }
    }
}

/// The bytes of a class that holds at most [`MAX_BYTES`] of them.
fn class_bytes(class: &Class) -> Option<Vec<u8>> {
    let ranges: Vec<(u32, u32)> = match class {
        Class::Bytes(c) => c
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
        Class::Unicode(c) => c
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
    };
    let mut bytes = Vec::new();
    for (start, end) in ranges {
        // A non-ASCII scalar value is more than one byte in the input.
        if end > 0x7F && matches!(class, Class::Unicode(_)) {
            return None;
        }
        if (end - start) as usize >= MAX_BYTES {
            return None;
        }
        bytes.extend((start..=end).map(|b| b as u8));
        if bytes.len() > MAX_BYTES {
            return None;
        }
    }
    (!bytes.is_empty()).then_some(bytes)
}

/// A rough rank of how often a byte occurs in source text; lower is rarer.
fn commonness(b: u8) -> u32 {
    match b {
        b' ' | b'\n' | b'\t' | b'\r' => 250,
        b'a'..=b'z' => 200,
        b'"' | b'\'' | b'.' | b',' | b'(' | b')' | b'_' | b'/' | b'=' | b':' | b';' | b'-' => 150,
        b'0'..=b'9' | b'A'..=b'Z' => 120,
        b'{' | b'}' | b'[' | b']' | b'<' | b'>' | b'#' | b'*' | b'&' | b'$' | b'!' | b'|' => 60,
        b'+' | b'\\' => 60,
        b'@' | b'%' | b'^' | b'~' | b'`' | b'?' => 30,
        _ => 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(pattern: &str) -> Option<Vec<u8>> {
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(pattern)
            .unwrap();
        RequiredBytes::of(&hir).map(|r| r.bytes)
    }

    #[test]
    fn picks_the_rarest_required_byte() {
        assert_eq!(of(r"\w+:([^\s@]{3,})@[a-z]+"), Some(b"@".to_vec()));
        assert_eq!(of(r"(?i)key\s*=\s*\w+"), Some(b"=".to_vec()));
        assert_eq!(of(r"ghp_[0-9a-zA-Z]{36}"), Some(b"_".to_vec()));
    }

    #[test]
    fn alternations_need_a_byte_from_every_branch() {
        assert_eq!(of(r"a@b|c:d"), Some(b":@".to_vec()));
        assert_eq!(of(r"a@b|c:d|e=f|g>h"), None);
        assert_eq!(of(r"a@b|\w+"), None);
    }

    #[test]
    fn optional_parts_and_assertions_require_nothing() {
        assert_eq!(of(r"(?:@x)?\w+"), None);
        assert_eq!(of(r"\b\w*"), None);
        assert_eq!(of(r"(?i)k"), Some(b"Kk".to_vec()));
        assert_eq!(of(r"[a-f]"), None);
    }
}
