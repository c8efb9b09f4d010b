//! Detection: bytes in, matches out.
//!
//! [`Detector::detect`] works on any `&[u8]` (UTF-8 or not). The prefilter
//! finds keyword hits; each rule owning a hit runs its regex on a window
//! around it; each candidate secret then passes the entropy floor, the
//! `keygate:allow` line marker, the rule's allowlist, the global allowlists
//! and the rule's context requirement, in that order. Results are sorted by
//! offset and never hold two overlapping secrets of one rule.

mod entropy;
mod prefilter;

pub use entropy::shannon_entropy;
pub use prefilter::{Prefilter, Window};

use anyhow::Result;

use crate::rules::{Candidate, Rule, RuleSet};

/// A line holding this marker is never reported.
pub const ALLOW_MARKER: &[u8] = b"keygate:allow";

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
    windows: Vec<usize>,
}

/// Per-thread scratch space, reused across buffers to avoid allocations.
#[derive(Debug, Default)]
pub struct Scratch {
    windows: Vec<Window>,
    lower: Vec<u8>,
}

impl Detector {
    pub fn new(rules: RuleSet) -> Detector {
        let prefilter = Prefilter::new(&rules);
        let windows = rules.rules.iter().map(|r| r.window).collect();
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

    /// Finds every reportable secret in `hay`. `path` feeds path allowlists.
    pub fn detect(&self, hay: &[u8], path: Option<&str>, scratch: &mut Scratch) -> Vec<Match> {
        self.prefilter
            .windows(hay, &self.windows, &mut scratch.lower, &mut scratch.windows);
        let mut found = Vec::new();
        for w in &scratch.windows {
            let rule = &self.rules.rules[w.rule];
            if path.is_some_and(|p| rule.allowlist.allows_path(p)) {
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
        // Searching `hay[..end]` from `start` (rather than `hay[start..end]`)
        // lets `\b` and `^` see the bytes before the window.
        let hay_w = &hay[..w.end];
        let mut at = w.start;
        while at < w.end {
            let Some(caps) = rule.regex.captures_at(hay_w, at) else {
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
        secret: std::ops::Range<usize>,
        whole: std::ops::Range<usize>,
    ) -> Option<Match> {
        let bytes = &hay[secret.clone()];
        let entropy = shannon_entropy(bytes);
        if rule.min_entropy.is_some_and(|min| entropy < min) {
            return None;
        }
        let line = line_around(hay, secret.start);
        if memchr::memmem::find(line, ALLOW_MARKER).is_some() {
            return None;
        }
        let cand = Candidate {
            secret: bytes,
            whole_match: &hay[whole],
            line,
            path,
        };
        if rule.allowlist.allows(&cand)
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
        for nl in memchr::memchr_iter(b'\n', &hay[pos..m.start]) {
            line += 1;
            line_start = pos + nl + 1;
        }
        pos = m.start;
        m.line = line;
        m.column = m.start - line_start + 1;
    }
}

#[cfg(test)]
mod tests;
