//! The keyword prefilter: every occurrence of every rule keyword, and the
//! windows around them that rules must search.
//!
//! Invariant: a rule's regex only ever runs on a window around a hit of one
//! of its own keywords, so most bytes of most inputs are read exactly once,
//! by the keyword search.
//!
//! A hit is an occurrence of a keyword, ignoring ASCII case; hits may
//! overlap, so keywords nested in others (`secret` in `aws_secret`) are
//! found too. Two searches find exactly the same hits:
//!
//! - [`lanes`]: an Aho-Corasick automaton ([`MatchKind::Standard`]) reads
//!   every byte, four quarters of the input in lockstep, since a DFA step is
//!   a load that depends on the previous one and one search alone is bound
//!   by load latency.
//! - With AVX-512 VBMI, no automaton: a SIMD filter ([`starts`]) finds the
//!   offsets where a keyword may start, 64 offsets per step, and the
//!   keywords that may start at each offset it passes are compared with the
//!   input there: 1.2% of the offsets of the engine bench input and 0.35% of
//!   crate sources get that far. Hits then come in order, so windows are
//!   built without a sort.
//!
//! Building the DFA takes a few milliseconds, longer than a pre-commit hook
//! spends scanning, so the first bytes of a run go through a contiguous NFA
//! in lanes (built in about a millisecond, several times slower per byte),
//! and the DFA or the filter is built once the run has scanned
//! [`DFA_AFTER`] bytes. All ways report the same hits.

mod starts;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::nfa::contiguous;
use aho_corasick::{dfa, Anchored, MatchKind, StartKind};

use crate::rules::{Rule, RuleSet};
use starts::StartFilter;

/// A byte range of the input that one rule must look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub rule: usize,
    pub start: usize,
    pub end: usize,
}

/// How far past a keyword hit a rule's window reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSize {
    /// Bytes past the keyword (then on to a line end, if one is close).
    pub bytes: usize,
    /// If set, the window ends no later than the end of the `lines`-th line
    /// after the keyword's own line.
    pub lines: Option<usize>,
}

impl WindowSize {
    pub fn of(rule: &Rule) -> WindowSize {
        WindowSize {
            bytes: rule.window,
            lines: rule.window_lines,
        }
    }
}

/// Reusable buffers for [`Prefilter::windows`].
#[derive(Debug, Default)]
pub struct WindowScratch {
    /// The windows of the last call.
    pub windows: Vec<Window>,
    /// Keyword hits as `(start, pattern)`.
    hits: Vec<(usize, usize)>,
    /// Per rule, the index in `windows` of its last window.
    last: Vec<usize>,
}

/// What a run builds once it has scanned [`DFA_AFTER`] bytes.
#[derive(Debug)]
enum Built {
    /// For CPUs that run the SIMD filter.
    Starts(Box<StartFilter>),
    /// For the others: an automaton over every byte, in lanes.
    Lanes(Box<dfa::DFA>),
}

#[derive(Debug)]
pub struct Prefilter {
    /// Every keyword in lowercase; empty if no rule has keywords.
    keywords: Vec<String>,
    /// Length of the longest keyword.
    longest: usize,
    /// Whether to build [`Built::Starts`] rather than [`Built::Lanes`].
    use_starts: bool,
    /// The keywords as a contiguous NFA: cheap to build, used first (always
    /// over every byte).
    nfa: Option<contiguous::NFA>,
    /// Built once [`DFA_AFTER`] bytes were scanned.
    built: OnceLock<Built>,
    /// Bytes searched so far, until the DFA exists.
    scanned: AtomicUsize,
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
/// Bytes scanned with the NFA before building the DFA pays off.
const DFA_AFTER: usize = 1 << 20;

impl Prefilter {
    pub fn new(rules: &RuleSet) -> Prefilter {
        Prefilter::with_search(rules, starts::supported())
    }

    /// `use_starts`: find hits with [`StartFilter`] (the CPU should
    /// support its SIMD search) rather than an automaton over every byte.
    fn with_search(rules: &RuleSet, use_starts: bool) -> Prefilter {
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
        let nfa = (!keywords.is_empty()).then(|| {
            contiguous::Builder::new()
                .match_kind(MatchKind::Standard)
                .ascii_case_insensitive(true)
                .prefilter(false)
                .build(&keywords)
                .expect("keywords are plain literals")
        });
        Prefilter {
            longest: keywords.iter().map(String::len).max().unwrap_or(0),
            keywords,
            use_starts,
            nfa,
            built: OnceLock::new(),
            scanned: AtomicUsize::new(0),
            owners,
            unkeyed,
        }
    }

    /// The faster search, if built or `len` more bytes make it worth
    /// building.
    fn built(&self, len: usize) -> Option<&Built> {
        if let Some(built) = self.built.get() {
            return Some(built);
        }
        if self.scanned.fetch_add(len, Ordering::Relaxed) + len < DFA_AFTER {
            return None;
        }
        Some(self.built.get_or_init(|| {
            match self.use_starts {
                true => Built::Starts(Box::new(StartFilter::new(&self.keywords))),
                false => Built::Lanes(Box::new(
                    dfa::Builder::new()
                        .match_kind(MatchKind::Standard)
                        .ascii_case_insensitive(true)
                        .start_kind(StartKind::Unanchored)
                        .prefilter(false)
                        .build(&self.keywords)
                        .expect("keywords are plain literals"),
                )),
            }
        }))
    }

    /// Calls `hit(pattern, start, end)` for every occurrence of every
    /// keyword in `hay`, ignoring ASCII case. Returns true if the hits came
    /// in order of `start`.
    fn for_each_hit(&self, hay: &[u8], hit: impl FnMut(usize, usize, usize)) -> bool {
        let Some(nfa) = &self.nfa else {
            return true;
        };
        match self.built(hay.len()) {
            Some(Built::Starts(filter)) => {
                filter.for_each_hit(hay, hit);
                true
            }
            Some(Built::Lanes(dfa)) => {
                lanes(dfa.as_ref(), hay, self.longest, hit);
                false
            }
            None => {
                lanes(nfa, hay, self.longest, hit);
                false
            }
        }
    }

    /// Fills `scratch.windows` with the windows that the rules must search in
    /// `hay`: each rule's windows are disjoint and in order; rules come in no
    /// particular order. `rule_windows[i]` is rule i's window size.
    pub fn windows(&self, hay: &[u8], rule_windows: &[WindowSize], scratch: &mut WindowScratch) {
        let WindowScratch {
            windows: out,
            hits,
            last,
        } = scratch;
        out.clear();
        hits.clear();
        for &rule in &self.unkeyed {
            out.push(Window {
                rule,
                start: 0,
                end: hay.len(),
            });
        }
        let in_order = self.for_each_hit(hay, |pattern, start, _| hits.push((start, pattern)));
        if !in_order {
            hits.sort_unstable();
        }
        last.clear();
        last.resize(rule_windows.len(), usize::MAX);
        let mut line = LineStart::default();
        for &(kw_start, pattern) in hits.iter() {
            let kw_end = kw_start + self.keywords[pattern].len();
            let start = line.of(hay, kw_start);
            // Rules sharing a keyword often share a window size too.
            let mut sized: Option<(WindowSize, usize)> = None;
            for &rule in &self.owners[pattern] {
                let size = rule_windows[rule];
                let end = match sized {
                    Some((s, end)) if s == size => end,
                    _ => window_end(hay, kw_end, size),
                };
                sized = Some((size, end));
                match out.get_mut(last[rule]) {
                    // Overlapping or touching: one window.
                    Some(w) if start <= w.end => w.end = w.end.max(end),
                    _ => {
                        last[rule] = out.len();
                        out.push(Window { rule, start, end });
                    }
                }
            }
        }
    }
}

/// Line starts of keyword hits met in order of offset, each found by looking
/// back no further than the previous hit.
#[derive(Debug, Default)]
struct LineStart {
    /// The previous hit's offset and what [`LineStart::of`] gave for it.
    at: usize,
    start: usize,
}

impl LineStart {
    /// Start of the line holding `at`, or `MAX_BACK` bytes before `at` on a
    /// long line. `at` must not be below the previous call's.
    fn of(&mut self, hay: &[u8], at: usize) -> usize {
        let floor = at.saturating_sub(MAX_BACK);
        let from = self.at.clamp(floor, at);
        let start = match memchr::memrchr(b'\n', &hay[from..at]) {
            Some(i) => from + i + 1,
            // No line end since the previous hit: same line as that one.
            None if from > floor => self.start.max(floor),
            None => floor,
        };
        *self = LineStart { at, start };
        start
    }
}

/// Searches `hay` with `a` (built with [`MatchKind::Standard`], so a match
/// state lists every pattern ending there) and calls `hit(pattern, start,
/// end)` once for every occurrence of every pattern.
///
/// The input is cut into four lanes searched in lockstep. Lane `i` starts
/// from the start state at its own first byte and reads `longest - 1` bytes
/// past its own last byte, so it sees every occurrence that starts in its
/// own bytes, whole; it reports exactly those, and each occurrence is
/// reported by one lane.
fn lanes<A: Automaton>(
    a: &A,
    hay: &[u8],
    longest: usize,
    mut hit: impl FnMut(usize, usize, usize),
) {
    const LANES: usize = 4;
    let n = hay.len();
    let own: [usize; LANES + 1] = std::array::from_fn(|i| i * n / LANES);
    let stop = |l: usize| (own[l + 1] + longest.saturating_sub(1)).min(n);
    let start = a
        .start_state(Anchored::No)
        .expect("unanchored search is supported");
    // All four lanes while each has bytes left, as four separate variables
    // so that the compiler keeps them in registers...
    let common = (0..LANES).map(|l| stop(l) - own[l]).min().unwrap_or(0);
    let lane = |l: usize| &hay[own[l]..own[l] + common];
    let bytes = lane(0).iter().zip(lane(1)).zip(lane(2)).zip(lane(3));
    let [mut s0, mut s1, mut s2, mut s3] = [start; LANES];
    for (i, (((&b0, &b1), &b2), &b3)) in bytes.enumerate() {
        s0 = a.next_state(Anchored::No, s0, b0);
        s1 = a.next_state(Anchored::No, s1, b1);
        s2 = a.next_state(Anchored::No, s2, b2);
        s3 = a.next_state(Anchored::No, s3, b3);
        if a.is_special(s0) | a.is_special(s1) | a.is_special(s2) | a.is_special(s3) {
            report_lanes(a, [s0, s1, s2, s3], i + 1, &own, &mut hit);
        }
    }
    // ...then what is left of each lane on its own.
    for (l, mut sid) in [s0, s1, s2, s3].into_iter().enumerate() {
        let from = own[l] + common;
        for (at, &b) in (from..).zip(&hay[from..stop(l)]) {
            sid = a.next_state(Anchored::No, sid, b);
            if a.is_special(sid) && a.is_match(sid) {
                report_matches(a, sid, at + 1, own[l]..own[l + 1], &mut hit);
            }
        }
    }
}

/// [`report_matches`] for each of the lanes' states that is a match state;
/// `at` is the offset in each lane just past the byte that led there.
#[cold]
#[inline(never)]
fn report_lanes<A: Automaton, const LANES: usize>(
    a: &A,
    states: [StateID; LANES],
    at: usize,
    own: &[usize],
    hit: &mut impl FnMut(usize, usize, usize),
) {
    for (l, s) in states.into_iter().enumerate() {
        if a.is_special(s) && a.is_match(s) {
            report_matches(a, s, own[l] + at, own[l]..own[l + 1], hit);
        }
    }
}

/// Calls `hit` for each pattern matching in state `sid` at `end` that begins
/// in `own`. Kept out of line: matches are rare, and inlining this into the
/// search loop slows every byte.
#[cold]
#[inline(never)]
fn report_matches<A: Automaton>(
    a: &A,
    sid: StateID,
    end: usize,
    own: std::ops::Range<usize>,
    hit: &mut impl FnMut(usize, usize, usize),
) {
    for k in 0..a.match_len(sid) {
        let pattern = a.match_pattern(sid, k);
        let begin = end - a.pattern_len(pattern);
        if own.contains(&begin) {
            hit(pattern.as_usize(), begin, end);
        }
    }
}

/// `size.bytes` past the keyword, extended to the next line end when one is
/// close, so that a window rarely cuts a token in two; or the end of
/// `size.lines` lines on, if that comes first.
fn window_end(hay: &[u8], kw_end: usize, size: WindowSize) -> usize {
    let nominal = kw_end.saturating_add(size.bytes).min(hay.len());
    if let Some(n) = size.lines {
        // Lines end before the nominal end, usually: then that is all.
        if let Some(i) = memchr::memchr_iter(b'\n', &hay[kw_end..nominal]).nth(n) {
            return kw_end + i;
        }
    }
    let limit = nominal.saturating_add(MAX_SNAP).min(hay.len());
    memchr::memchr(b'\n', &hay[nominal..limit]).map_or(limit, |i| nominal + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_start_stops_at_line_start_or_max_back() {
        let hay = b"line one\nkey = AKIA\n";
        assert_eq!(LineStart::default().of(hay, 15), 9);
        let long = vec![b'a'; 1000];
        assert_eq!(LineStart::default().of(&long, 900), 900 - MAX_BACK);
    }

    /// Offsets met in order give what each would give on its own.
    #[test]
    fn line_start_of_hits_in_order_agrees_with_a_fresh_search() {
        let mut hay = vec![b'x'; 2000];
        for nl in [5, 6, 300, 301, 900, 1500] {
            hay[nl] = b'\n';
        }
        for step in [1, 7, 100, 255, 256, 257, 600] {
            let mut line = LineStart::default();
            for at in (0..hay.len()).step_by(step).chain([1999, 1999]) {
                let fresh = LineStart::default().of(&hay, at);
                assert_eq!(line.of(&hay, at), fresh, "step {step}, at {at}");
            }
        }
    }

    /// Both searches; the start filter runs without SIMD where this CPU
    /// lacks it, slower but with the same hits.
    fn prefilters(rules: &RuleSet) -> Vec<Prefilter> {
        vec![
            Prefilter::with_search(rules, false),
            Prefilter::with_search(rules, true),
        ]
    }

    fn hits(keywords: &[&str], hay: &[u8]) -> Vec<(String, usize)> {
        let mut set = RuleSet::default();
        let kws = keywords
            .iter()
            .map(|k| format!("{k:?}"))
            .collect::<Vec<_>>();
        set.add_file(
            "t.toml",
            &format!(
                "[[rule]]\nid = \"t\"\ndescription = \"t\"\nkeywords = [{}]\nregex = \"x\"\n",
                kws.join(", ")
            ),
        )
        .unwrap();
        let mut found = Vec::new();
        for p in prefilters(&set) {
            let mut out = Vec::new();
            p.for_each_hit(hay, |_, s, e| {
                out.push((String::from_utf8_lossy(&hay[s..e]).into_owned(), s))
            });
            out.sort();
            found.push(out);
        }
        assert!(found.windows(2).all(|w| w[0] == w[1]), "{found:?}");
        let mut out = found.swap_remove(0);
        out.sort_by_key(|h| h.1);
        out
    }

    #[test]
    fn hits_ignore_case_and_include_nested_keywords() {
        assert_eq!(
            hits(&["secret", "aws_secret"], b"AWS_Secret = 1"),
            vec![("AWS_Secret".into(), 0), ("Secret".into(), 4)]
        );
        let mut same_start = hits(&["secret", "secret_key"], b"SECRET_KEY=");
        same_start.sort();
        assert_eq!(
            same_start,
            vec![("SECRET".into(), 0), ("SECRET_KEY".into(), 0)]
        );
    }

    #[test]
    fn hits_anywhere_in_a_long_input_are_reported_once() {
        const CHUNK: usize = 64 * 1024;
        for offset in [CHUNK - 8, CHUNK - 3, CHUNK - 1, CHUNK, CHUNK + 1] {
            let mut hay = vec![b' '; 3 * CHUNK];
            hay[offset..offset + 6].copy_from_slice(b"ToKeN_");
            assert_eq!(hits(&["token_"], &hay), vec![("ToKeN_".into(), offset)]);
        }
    }

    /// Every lane split: a keyword at each offset of inputs of every length
    /// up to a few lanes' worth is reported once, whichever lane owns it.
    #[test]
    fn interleaved_lanes_report_each_hit_once() {
        for n in 0usize..64 {
            for at in 0..(n + 1).saturating_sub(6) {
                let mut hay = vec![b'.'; n];
                hay[at..at + 6].copy_from_slice(b"SeCrEt");
                let mut got = hits(&["secret", "cret", "t"], &hay);
                got.sort();
                let mut want = vec![
                    ("SeCrEt".to_string(), at),
                    ("CrEt".to_string(), at + 2),
                    ("t".to_string(), at + 5),
                ];
                want.sort();
                assert_eq!(got, want, "n = {n}, at = {at}");
            }
        }
    }

    /// Both searches agree with aho-corasick's own overlapping search, with
    /// the NFA and with the DFA, on text dense with keyword fragments; the
    /// filtered one reports hits in order.
    #[test]
    fn searches_agree_with_aho_corasick() {
        let rules = RuleSet::builtin().unwrap();
        for p in prefilters(&rules) {
            let oracle = aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(&p.keywords)
                .unwrap();
            let mut hay = Vec::new();
            for (i, k) in p.keywords.iter().cycle().take(2000).enumerate() {
                let cut = k.len() - i % 3.min(k.len());
                hay.extend_from_slice(&k.as_bytes()[..cut]);
                hay.extend_from_slice([&b"="[..], b"_X", b"\xc3\xa9"][i % 3]);
            }
            let mut want: Vec<_> = oracle
                .find_overlapping_iter(&hay)
                .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
                .collect();
            want.sort();
            let collect = |p: &Prefilter| {
                let mut got = Vec::new();
                let in_order = p.for_each_hit(&hay, |k, s, e| got.push((k, s, e)));
                if in_order {
                    assert!(got.windows(2).all(|w| w[0].1 <= w[1].1));
                }
                got.sort();
                got
            };
            assert!(p.built.get().is_none());
            assert_eq!(collect(&p), want);
            p.for_each_hit(&vec![b' '; DFA_AFTER], |_, _, _| {});
            let starts = matches!(p.built.get().unwrap(), Built::Starts(_));
            assert_eq!(starts, p.use_starts);
            assert_eq!(collect(&p), want, "use_starts: {}", p.use_starts);
        }
    }

    /// Windows of one rule never overlap or touch, and each hit's window is
    /// inside one of them, whichever way the hits were found.
    #[test]
    fn windows_cover_every_hit_and_are_merged() {
        let rules = RuleSet::builtin().unwrap();
        let sizes: Vec<WindowSize> = rules.rules.iter().map(WindowSize::of).collect();
        let hay = b"password = a\nsecret: b\n\nhttps://u:p@h https://x\nAKIAxx secret".repeat(50);
        let mut results = Vec::new();
        for p in prefilters(&rules) {
            let mut scratch = WindowScratch::default();
            p.windows(&hay, &sizes, &mut scratch);
            let mut ws = scratch.windows.clone();
            ws.sort_by_key(|w| (w.rule, w.start));
            for pair in ws.windows(2) {
                assert!(pair[0].rule != pair[1].rule || pair[0].end < pair[1].start);
            }
            p.for_each_hit(&hay, |k, s, e| {
                for &rule in &p.owners[k] {
                    let end = window_end(&hay, e, sizes[rule]);
                    let start = LineStart::default().of(&hay, s);
                    assert!(ws
                        .iter()
                        .any(|w| w.rule == rule && w.start <= start && end <= w.end));
                }
            });
            results.push(ws);
        }
        assert!(results.windows(2).all(|w| w[0] == w[1]));
    }

    fn bytes(bytes: usize) -> WindowSize {
        WindowSize { bytes, lines: None }
    }

    #[test]
    fn window_end_snaps_to_line_end() {
        let hay = b"AKIA0123456789 rest\nnext line\n";
        assert_eq!(window_end(hay, 4, bytes(5)), 19);
        assert_eq!(window_end(hay, 4, bytes(1000)), hay.len());
    }

    #[test]
    fn window_end_stops_after_its_lines() {
        let hay = b"key = x\nvalue: y\nthird\nfourth\n";
        let lines = |lines| WindowSize {
            bytes: 1000,
            lines: Some(lines),
        };
        assert_eq!(window_end(hay, 3, lines(0)), 7);
        assert_eq!(window_end(hay, 3, lines(1)), 16);
        assert_eq!(window_end(hay, 3, lines(9)), hay.len());
        // The byte limit still applies when it comes first.
        let short = WindowSize {
            bytes: 2,
            lines: Some(1),
        };
        assert_eq!(window_end(hay, 3, short), 7);
    }
}
