//! The keyword prefilter: one Aho-Corasick automaton over every rule keyword.
//!
//! Invariant: a rule's regex only ever runs on a window around a hit of one
//! of its own keywords, so most bytes of most inputs are read exactly once,
//! by the automaton.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::rules::RuleSet;

/// A byte range of the input that one rule must look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub rule: usize,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug)]
pub struct Prefilter {
    ac: Option<AhoCorasick>,
    /// For each automaton pattern, the rules that own that keyword.
    owners: Vec<Vec<usize>>,
    /// Rules without keywords; they run on the whole input.
    unkeyed: Vec<usize>,
}

/// Bytes before a keyword that a window may reach back to, when the start of
/// the keyword's line is further away than this.
const MAX_BACK: usize = 256;
/// How far past the nominal window end we look for a line end to stop at.
const MAX_SNAP: usize = 256;

impl Prefilter {
    pub fn new(rules: &RuleSet) -> Prefilter {
        let mut keywords: Vec<String> = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        let mut unkeyed = Vec::new();
        for (i, rule) in rules.rules.iter().enumerate() {
            if rule.keywords.is_empty() {
                unkeyed.push(i);
            }
            for k in &rule.keywords {
                let k = k.to_ascii_lowercase();
                match keywords.iter().position(|x| *x == k) {
                    Some(p) => owners[p].push(i),
                    None => {
                        keywords.push(k);
                        owners.push(vec![i]);
                    }
                }
            }
        }
        let ac = (!keywords.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(&keywords)
                .expect("keywords are plain literals")
        });
        Prefilter {
            ac,
            owners,
            unkeyed,
        }
    }

    /// Fills `out` with the merged windows, sorted by (rule, start), that the
    /// rules must search in `hay`. `rule_windows[i]` is rule i's window size.
    pub fn windows(&self, hay: &[u8], rule_windows: &[usize], out: &mut Vec<Window>) {
        out.clear();
        for &rule in &self.unkeyed {
            out.push(Window {
                rule,
                start: 0,
                end: hay.len(),
            });
        }
        let Some(ac) = &self.ac else { return };
        for m in ac.find_overlapping_iter(hay) {
            for &rule in &self.owners[m.pattern().as_usize()] {
                let start = window_start(hay, m.start());
                let end = window_end(hay, m.end(), rule_windows[rule]);
                out.push(Window { rule, start, end });
            }
        }
        out.sort_unstable_by_key(|w| (w.rule, w.start));
        // Merge overlapping or touching windows of the same rule.
        let mut merged = 0;
        for i in 0..out.len() {
            let w = out[i];
            if merged > 0 {
                let last = &mut out[merged - 1];
                if last.rule == w.rule && w.start <= last.end {
                    last.end = last.end.max(w.end);
                    continue;
                }
            }
            out[merged] = w;
            merged += 1;
        }
        out.truncate(merged);
    }
}

/// Start of the keyword's line, or `MAX_BACK` bytes before the keyword on a
/// long line.
fn window_start(hay: &[u8], kw_start: usize) -> usize {
    let floor = kw_start.saturating_sub(MAX_BACK);
    match memchr::memrchr(b'\n', &hay[floor..kw_start]) {
        Some(i) => floor + i + 1,
        None => floor,
    }
}

/// `size` bytes past the keyword, extended to the next line end when one is
/// close, so that a window rarely cuts a token in two.
fn window_end(hay: &[u8], kw_end: usize, size: usize) -> usize {
    let nominal = kw_end.saturating_add(size).min(hay.len());
    let limit = nominal.saturating_add(MAX_SNAP).min(hay.len());
    match memchr::memchr(b'\n', &hay[nominal..limit]) {
        Some(i) => nominal + i,
        None => limit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_start_stops_at_line_start() {
        let hay = b"line one\nkey = AKIA\n";
        assert_eq!(window_start(hay, 15), 9);
        let long = vec![b'a'; 1000];
        assert_eq!(window_start(&long, 900), 900 - MAX_BACK);
    }

    #[test]
    fn window_end_snaps_to_line_end() {
        let hay = b"AKIA0123456789 rest\nnext line\n";
        assert_eq!(window_end(hay, 4, 5), 19);
        assert_eq!(window_end(hay, 4, 1000), hay.len());
    }
}
