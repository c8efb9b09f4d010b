//! What every match of a regex must contain: one of a few bytes, or a run
//! of bytes from one class.
//!
//! A keyword window without them cannot hold a match, and `memchr` or a
//! table walk says so far faster than the regex could: a URL-credentials
//! window is a line with `://`, and most such lines (lockfile `resolved`
//! URLs) have no `@`; generic-secret-letters needs 16 letters in a row,
//! which about one `password`/`token` line in nine of crate sources holds.
//!
//! Invariant: if [`Required::of`] returns a requirement, every match of the
//! regex meets it.

use regex_syntax::hir::{Class, Hir, HirKind};

/// Something every match holds: at least one of `bytes`, and `run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Required {
    /// One to three bytes, at least one of which occurs in every match.
    bytes: Option<Vec<u8>>,
    run: Option<ClassRun>,
}

/// `len` consecutive bytes of `class`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ClassRun {
    class: ByteSet,
    len: usize,
}

/// A set of bytes, one bit per byte value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ByteSet([u64; 4]);

/// Largest set that `memchr3` can look for.
const MAX_BYTES: usize = 3;

/// Shorter runs are not worth a pass over the window: a byte class rarely
/// goes 8 bytes without a match in text, and the regex checks it anyway.
const MIN_RUN: usize = 8;

impl Required {
    /// What `hir` requires, or `None` if it needs neither a set of up to
    /// three bytes (an alternation of many operators) nor a run of at least
    /// [`MIN_RUN`] bytes of one class.
    pub fn of(hir: &Hir) -> Option<Required> {
        let bytes = required(hir);
        let run = class_run(hir).filter(|r| r.len >= MIN_RUN);
        (bytes.is_some() || run.is_some()).then_some(Required { bytes, run })
    }

    /// True if `hay` meets the requirement.
    pub fn found_in(&self, hay: &[u8]) -> bool {
        let has_byte = match self.bytes.as_deref() {
            Some(&[a]) => memchr::memchr(a, hay).is_some(),
            Some(&[a, b]) => memchr::memchr2(a, b, hay).is_some(),
            Some(&[a, b, c]) => memchr::memchr3(a, b, c, hay).is_some(),
            _ => true,
        };
        has_byte && self.run.as_ref().is_none_or(|r| r.found_in(hay))
    }
}

impl ClassRun {
    /// True if `hay` holds `len` consecutive bytes of `class`.
    ///
    /// Looks at the last byte of each place a run could fit first, and
    /// skips past any byte outside the class, so text without a run costs
    /// about one lookup per `len` bytes rather than one per byte.
    fn found_in(&self, hay: &[u8]) -> bool {
        // Invariant: `hay[start..good]` are all in the class.
        let (mut start, mut good) = (0, 0);
        while start + self.len <= hay.len() {
            let end = start + self.len;
            match hay[good..end]
                .iter()
                .rposition(|&b| !self.class.contains(b))
            {
                None => return true,
                Some(i) => (start, good) = (good + i + 1, end),
            }
        }
        false
    }
}

impl ByteSet {
    fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }

    fn insert(&mut self, b: u8) {
        self.0[usize::from(b >> 6)] |= 1 << (b & 63);
    }

    fn union(self, other: ByteSet) -> ByteSet {
        ByteSet(std::array::from_fn(|i| self.0[i] | other.0[i]))
    }

    fn len(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }
}

/// The longest run of one class that every match of `hir` holds; of equal
/// lengths, the one of the smaller class.
fn class_run(hir: &Hir) -> Option<ClassRun> {
    match hir.kind() {
        HirKind::Class(class) => Some(ClassRun {
            class: byte_set(class)?,
            len: 1,
        }),
        HirKind::Repetition(rep) if rep.min > 0 => match rep.sub.kind() {
            // Consecutive matches of one class form a run.
            HirKind::Class(class) => Some(ClassRun {
                class: byte_set(class)?,
                len: usize::try_from(rep.min).ok()?,
            }),
            _ => class_run(&rep.sub),
        },
        HirKind::Capture(cap) => class_run(&cap.sub),
        HirKind::Concat(subs) => subs
            .iter()
            .filter_map(class_run)
            .max_by_key(|r| (r.len, std::cmp::Reverse(r.class.len()))),
        HirKind::Alternation(subs) => {
            subs.iter().try_fold(None, |acc: Option<ClassRun>, sub| {
                let r = class_run(sub)?;
                Some(Some(match acc {
                    None => r,
                    // A run of either class is a run of their union.
                    Some(a) => ClassRun {
                        class: a.class.union(r.class),
                        len: a.len.min(r.len),
                    },
                }))
            })?
        }
        HirKind::Empty | HirKind::Look(_) | HirKind::Literal(_) | HirKind::Repetition(_) => None,
    }
}

/// The bytes a class matches; `None` if it matches a non-ASCII scalar
/// value (more than one byte in the input).
fn byte_set(class: &Class) -> Option<ByteSet> {
    let ranges: Vec<(u32, u32)> = match class {
        Class::Bytes(c) => c
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
        Class::Unicode(c) => {
            if c.ranges().iter().any(|r| u32::from(r.end()) > 0x7F) {
                return None;
            }
            c.ranges()
                .iter()
                .map(|r| (u32::from(r.start()), u32::from(r.end())))
                .collect()
        }
    };
    let mut set = ByteSet([0; 4]);
    for (start, end) in ranges {
        (start..=end).for_each(|b| set.insert(b as u8));
    }
    Some(set)
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
    let set = byte_set(class)?;
    let bytes: Vec<u8> = (0..=255).filter(|&b| set.contains(b)).collect();
    (1..=MAX_BYTES).contains(&bytes.len()).then_some(bytes)
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

    /// What `pattern` requires, parsed as the rules' regexes are.
    fn required_by(pattern: &str) -> Option<Required> {
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(pattern)
            .unwrap();
        Required::of(&hir)
    }

    fn of(pattern: &str) -> Option<Vec<u8>> {
        required_by(pattern).and_then(|r| r.bytes)
    }

    /// The run's length and the size of its class.
    fn run_of(pattern: &str) -> Option<(usize, u32)> {
        required_by(pattern)
            .and_then(|r| r.run)
            .map(|r| (r.len, r.class.len()))
    }

    #[test]
    fn finds_the_longest_run_of_one_class() {
        assert_eq!(run_of(r"key=([A-Za-z]{16,64})"), Some((16, 52)));
        assert_eq!(run_of(r"(?i)ghp_[0-9a-z]{36}"), Some((36, 36 + 26)));
        assert_eq!(run_of(r"[a-f]{8}x[0-9]{10}"), Some((10, 10)));
        // Too short to be worth a pass; optional; not in every branch.
        assert_eq!(run_of(r"[a-z]{4}"), None);
        assert_eq!(run_of(r"x(?:[a-z]{20})?"), None);
        assert_eq!(run_of(r"[a-z]{20}|y"), None);
    }

    #[test]
    fn branches_share_a_run_of_their_union() {
        assert_eq!(run_of(r#""([a-z]{16})"|'([0-9]{20})'"#), Some((16, 36)));
    }

    #[test]
    fn a_window_without_the_run_is_rejected() {
        let req = required_by(r"pass=([A-Za-z]{16,64})").unwrap();
        assert!(req.found_in(b"pass=kQzLmWpXrTbNvYhE"));
        assert!(!req.found_in(b"kQzLmWpXrTbNvYhE"), "the = is required too");
        assert!(!req.found_in(b"pass=kQzLmWp_XrTbNvYhE"));
        assert!(!req.found_in(b"short"));
    }

    /// The skipping search agrees with a byte-by-byte count of the
    /// longest run, on text with runs of every length around `len`.
    #[test]
    fn run_search_agrees_with_counting_every_byte() {
        let run = ClassRun {
            class: byte_set(&Class::Bytes(regex_syntax::hir::ClassBytes::new([
                regex_syntax::hir::ClassBytesRange::new(b'a', b'z'),
            ])))
            .unwrap(),
            len: 8,
        };
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let hay: Vec<u8> = (0..x % 40)
                .map(|i| match (x >> (i % 60)) & 7 {
                    0 => b' ',
                    _ => b'a' + (i % 26) as u8,
                })
                .collect();
            let longest = hay
                .split(|b| !b.is_ascii_lowercase())
                .map(<[u8]>::len)
                .max()
                .unwrap_or(0);
            assert_eq!(
                run.found_in(&hay),
                longest >= 8,
                "{:?}",
                String::from_utf8_lossy(&hay)
            );
        }
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
