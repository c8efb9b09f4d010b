//! Detection: bytes in, matches out.
//!
//! [`Detector::detect`] works on any `&[u8]` (UTF-8 or not). The prefilter
//! finds keyword hits; each rule owning a hit runs its regex on a window
//! around it; each candidate secret then passes the entropy floor, the
//! inline markers (`keygate:allow`, gitleaks' `gitleaks:allow` or
//! detect-secrets' `pragma: allowlist secret` on its line,
//! `keygate:allow-next-line` on the line before), the rule's allowlists, the
//! global allowlists and the rule's context requirement, in that order.
//! Results are sorted by offset and never hold two overlapping secrets of one
//! rule.

mod entropy;
mod prefilter;

pub use entropy::shannon_entropy;
pub use prefilter::{Prefilter, Window, WindowScratch, WindowSize};

use std::ops::Range;

use anyhow::Result;

use crate::rules::{Candidate, Rule, RuleSet};

/// A line holding this marker is never reported.
pub const ALLOW_MARKER: &[u8] = b"keygate:allow";
/// Other scanners' spellings of [`ALLOW_MARKER`] (gitleaks, detect-secrets),
/// honoured the same way so a project moving to keygate keeps its markers.
pub const FOREIGN_ALLOW_MARKERS: [&[u8]; 2] = [b"gitleaks:allow", b"pragma: allowlist secret"];
/// The line after a line holding this marker is never reported.
pub const ALLOW_NEXT_LINE_MARKER: &[u8] = b"keygate:allow-next-line";
/// detect-secrets' spelling of [`ALLOW_NEXT_LINE_MARKER`].
pub const FOREIGN_ALLOW_NEXT_LINE_MARKER: &[u8] = b"pragma: allowlist nextline secret";

/// One secret found in a buffer. Offsets are byte offsets into that buffer.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// Index into [`RuleSet::rules`].
    pub rule: usize,
    /// Byte span of the secret.
    pub start: usize,
    pub end: usize,
    /// 1-based line of the secret's first byte.
    pub line: usize,
    /// 1-based byte column of the secret's first byte.
    pub column: usize,
    pub entropy: f64,
}

/// Compiled rules plus their prefilter; cheap to share across threads.
#[derive(Debug)]
pub struct Detector {
    rules: RuleSet,
    prefilter: Prefilter,
    windows: Vec<WindowSize>,
}

/// Per-thread scratch space, reused across buffers to avoid allocations.
#[derive(Debug, Default)]
pub struct Scratch {
    windows: WindowScratch,
}

impl Detector {
    pub fn new(rules: RuleSet) -> Detector {
        let prefilter = Prefilter::new(&rules);
        let windows = rules.rules.iter().map(WindowSize::of).collect();
        Detector {
            rules,
            prefilter,
            windows,
        }
    }

    /// A detector over the built-in rules.
    pub fn builtin() -> Result<Detector> {
        Ok(Detector::new(RuleSet::builtin()?))
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Finds every reportable secret in `hay`. `path` (relative to the
    /// scanned root) feeds path allowlists and path-restricted rules.
    pub fn detect(&self, hay: &[u8], path: Option<&str>, scratch: &mut Scratch) -> Vec<Match> {
        self.detect_in(hay, path, None, scratch)
    }

    /// Like [`Detector::detect`], but when `regions` is given (sorted,
    /// disjoint byte ranges, e.g. the lines a commit adds) only keyword
    /// windows overlapping a region are searched. Every secret that starts
    /// inside a region is still found, with the whole of `hay` as context;
    /// secrets elsewhere may or may not be.
    pub fn detect_in(
        &self,
        hay: &[u8],
        path: Option<&str>,
        regions: Option<&[Range<usize>]>,
        scratch: &mut Scratch,
    ) -> Vec<Match> {
        if let Some(p) = path {
            if self
                .rules
                .global_allowlists
                .iter()
                .any(|a| a.allows_path(p))
            {
                return Vec::new();
            }
        }
        self.prefilter
            .windows(hay, &self.windows, &mut scratch.windows);
        let mut found = Vec::new();
        for w in &scratch.windows.windows {
            let rule = &self.rules.rules[w.rule];
            if !runs_on(rule, path) || regions.is_some_and(|r| !overlaps_any(r, w)) {
                continue;
            }
            self.search_window(w, rule, hay, path, &mut found);
        }
        if found.is_empty() {
            return found;
        }
        self.dedup(&mut found);
        assign_lines(hay, &mut found);
        found
    }

    fn search_window(
        &self,
        w: &Window,
        rule: &Rule,
        hay: &[u8],
        path: Option<&str>,
        out: &mut Vec<Match>,
    ) {
        if rule
            .regex
            .required()
            .is_some_and(|r| !r.found_in(&hay[w.start..w.end]))
        {
            return;
        }
        let Some(regex) = rule.regex.get() else {
            return;
        };
        // Searching `hay[..end]` from `start` (rather than `hay[start..end]`)
        // lets `\b` and `^` see the bytes before the window.
        let mut end = w.end;
        let mut at = w.start;
        while at < end {
            // Most windows hold no match: find one before paying for
            // capture groups.
            let Some(found) = regex.find_at(&hay[..end], at) else {
                break;
            };
            if found.end() == end && end == w.end && end < hay.len() {
                // The window's end may have cut the match short (a long
                // token): search again up to the end of the line.
                end = extended_end(hay, end);
            }
            let Some(caps) = regex.captures_at(&hay[..end], at) else {
                break;
            };
            let whole = caps.get(0).expect("group 0 always matches");
            at = if whole.end() > whole.start() {
                whole.end()
            } else {
                whole.end() + 1
            };
            let secret = match rule.secret_group {
                Some(g) => caps.get(g),
                None if caps.len() == 1 => Some(whole),
                None => caps.iter().skip(1).flatten().next(),
            };
            let Some(secret) = secret else {
                continue;
            };
            if secret.is_empty() {
                continue;
            }
            if let Some(m) = self.accept(w.rule, rule, hay, path, secret.range(), whole.range()) {
                out.push(m);
            }
        }
    }

    /// Applies every filter to one candidate; `None` means "not a secret".
    fn accept(
        &self,
        rule_idx: usize,
        rule: &Rule,
        hay: &[u8],
        path: Option<&str>,
        secret: Range<usize>,
        whole: Range<usize>,
    ) -> Option<Match> {
        let bytes = &hay[secret.clone()];
        let entropy = shannon_entropy(bytes);
        if rule.min_entropy.is_some_and(|min| entropy < min) {
            return None;
        }
        let line = line_around(hay, secret.start);
        if has_allow_marker(hay, line, secret.start) {
            return None;
        }
        let cand = Candidate {
            secret: bytes,
            whole_match: &hay[whole],
            line,
            path,
        };
        if rule.allowlists.iter().any(|a| a.allows(&cand))
            || self.rules.global_allowlists.iter().any(|a| a.allows(&cand))
        {
            return None;
        }
        if let Some(ctx) = &rule.context {
            let lo = secret.start.saturating_sub(ctx.distance);
            let hi = secret.end.saturating_add(ctx.distance).min(hay.len());
            if !ctx.regex.is_match(&hay[lo..hi]) {
                return None;
            }
        }
        Some(Match {
            rule: rule_idx,
            start: secret.start,
            end: secret.end,
            line: 0,
            column: 0,
            entropy,
        })
    }

    /// Sorts by offset, drops a rule's overlapping repeats, and drops fallback
    /// matches that overlap a specific rule's match.
    fn dedup(&self, found: &mut Vec<Match>) {
        found.sort_by_key(|m| (m.start, m.rule, m.end));
        let overlaps = |a: &Match, b: &Match| a.start < b.end && b.start < a.end;
        let mut keep = vec![true; found.len()];
        for i in 0..found.len() {
            for j in (i + 1)..found.len() {
                if found[j].start >= found[i].end {
                    break;
                }
                if !overlaps(&found[i], &found[j]) {
                    continue;
                }
                let (ri, rj) = (
                    &self.rules.rules[found[i].rule],
                    &self.rules.rules[found[j].rule],
                );
                if found[i].rule == found[j].rule {
                    keep[j] = false;
                } else if ri.fallback && !rj.fallback {
                    keep[i] = false;
                } else if rj.fallback && !ri.fallback {
                    keep[j] = false;
                }
            }
        }
        let mut k = keep.iter();
        found.retain(|_| *k.next().unwrap());
    }
}

/// False if the rule must not run on a buffer at `path`: a path allowlist
/// covers the whole file, or the rule is restricted to other paths.
fn runs_on(rule: &Rule, path: Option<&str>) -> bool {
    if let Some(p) = path {
        if rule.allowlists.iter().any(|a| a.allows_path(p)) {
            return false;
        }
    }
    match &rule.path {
        Some(re) => path.is_some_and(|p| re.is_match(p.as_bytes())),
        None => true,
    }
}

/// How far past its window a match that reached the window's end may grow.
const MAX_EXTEND: usize = 64 * 1024;

/// The end of the line holding `end`, at most [`MAX_EXTEND`] bytes on.
fn extended_end(hay: &[u8], end: usize) -> usize {
    let limit = end.saturating_add(MAX_EXTEND).min(hay.len());
    memchr::memchr(b'\n', &hay[end..limit]).map_or(limit, |i| end + i)
}

/// True if the window overlaps one of the sorted, disjoint `regions`.
fn overlaps_any(regions: &[Range<usize>], w: &Window) -> bool {
    // The first region ending after the window starts is the only candidate.
    let i = regions.partition_point(|r| r.end <= w.start);
    regions.get(i).is_some_and(|r| r.start < w.end)
}

/// True if `line` (the line holding `offset`) carries an allow marker, or
/// the line before it carries [`ALLOW_NEXT_LINE_MARKER`].
fn has_allow_marker(hay: &[u8], line: &[u8], offset: usize) -> bool {
    let has = |hay: &[u8], needle: &[u8]| memchr::memmem::find(hay, needle).is_some();
    if has(line, ALLOW_MARKER) || FOREIGN_ALLOW_MARKERS.iter().any(|m| has(line, m)) {
        return true;
    }
    let line_start = memchr::memrchr(b'\n', &hay[..offset]).map_or(0, |i| i + 1);
    if line_start == 0 {
        return false;
    }
    let before = line_around(hay, line_start - 1);
    has(before, ALLOW_NEXT_LINE_MARKER) || has(before, FOREIGN_ALLOW_NEXT_LINE_MARKER)
}

/// The line holding `offset`, without its line terminator.
pub fn line_around(hay: &[u8], offset: usize) -> &[u8] {
    let start = memchr::memrchr(b'\n', &hay[..offset]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &hay[offset..]).map_or(hay.len(), |i| offset + i);
    let line = &hay[start..end];
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Fills in line and column; `found` must be sorted by `start`.
fn assign_lines(hay: &[u8], found: &mut [Match]) {
    let mut line = 1;
    let mut pos = 0;
    let mut line_start = 0;
    for m in found.iter_mut() {
        // Counting is vectorised; stopping at each newline is not, and the
        // bytes before a file's last finding are often most of the file.
        let gap = &hay[pos..m.start];
        line += memchr::memchr_iter(b'\n', gap).count();
        if let Some(nl) = memchr::memrchr(b'\n', gap) {
            line_start = pos + nl + 1;
        }
        pos = m.start;
        m.line = line;
        m.column = m.start - line_start + 1;
    }
}

#[cfg(test)]
mod tests;
