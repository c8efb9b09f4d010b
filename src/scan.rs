//! The scan driver: the [`Sink`] that runs the detector on every buffer a
//! source produces and turns matches into [`Finding`]s.

use std::cell::RefCell;
use std::ops::Range;
use std::sync::Mutex;

use crate::detect::{Detector, Match, Scratch};
use crate::finding::Finding;
use crate::rules::FileRule;
use crate::source::{Origin, Piece, Sink};

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Collects findings from many threads; call [`Collector::finish`] once
/// the source is done.
pub struct Collector<'d> {
    detector: &'d Detector,
    found: Mutex<Vec<Finding>>,
}

impl<'d> Collector<'d> {
    pub fn new(detector: &'d Detector) -> Collector<'d> {
        Collector {
            detector,
            found: Mutex::new(Vec::new()),
        }
    }

    /// The findings in deterministic order (path, commit, line, column,
    /// rule), whatever order the threads produced them in.
    pub fn finish(self) -> Vec<Finding> {
        let mut found = self.found.into_inner().unwrap_or_else(|e| e.into_inner());
        found.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        found
    }

    /// A finding for a whole file, reported by a file rule: no secret, at
    /// line 1 column 1.
    fn file_finding(&self, origin: &Origin<'_>, rule: &FileRule) -> Finding {
        Finding {
            description: rule.description.clone(),
            commit: origin.commit.cloned(),
            severity: rule.severity,
            ..Finding::new(&rule.id, origin.path, origin.rel, b"")
        }
    }

    fn finding(&self, origin: &Origin<'_>, bytes: &[u8], m: &Match) -> Finding {
        let rule = &self.detector.rules().rules[m.rule];
        let secret = &bytes[m.start..m.end];
        Finding {
            description: rule.description.clone(),
            line: m.line,
            column: m.column,
            entropy: m.entropy,
            commit: origin.commit.cloned(),
            severity: rule.severity,
            ..Finding::new(&rule.id, origin.path, origin.rel, secret)
        }
    }
}

impl Collector<'_> {
    fn keep(&self, new: Vec<Finding>) {
        if !new.is_empty() {
            self.found
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(new);
        }
    }

    fn collect(&self, origin: &Origin<'_>, bytes: &[u8], piece: Option<&Piece>) {
        // Only the wanted lines need searching (a hook's one-line edit of a
        // large file); pieces of large files never come with lines.
        let regions = origin.lines.map(|lines| line_ranges(bytes, lines));
        let matches = SCRATCH.with(|s| {
            self.detector.detect_in(
                bytes,
                Some(origin.rel),
                regions.as_deref(),
                &mut s.borrow_mut(),
            )
        });
        let new: Vec<Finding> = matches
            .into_iter()
            .filter_map(|mut m| {
                if let Some(p) = piece {
                    if !(p.own_start..p.own_end).contains(&m.start) {
                        return None;
                    }
                    (m.line, m.column) = p.position(m.line, m.column);
                }
                let wanted = origin
                    .lines
                    .is_none_or(|lines| lines.binary_search(&(m.line as u32)).is_ok());
                wanted.then(|| self.finding(origin, bytes, &m))
            })
            .collect();
        self.keep(new);
    }
}

impl Sink for Collector<'_> {
    fn file(&self, origin: &Origin<'_>) {
        let rules = self.detector.rules();
        if rules.file_rules.is_empty()
            || rules
                .global_allowlists
                .iter()
                .any(|a| a.allows_path(origin.rel))
        {
            return;
        }
        let new: Vec<Finding> = rules
            .file_rules
            .iter()
            .filter(|r| r.matches(origin.rel))
            .map(|r| self.file_finding(origin, r))
            .collect();
        self.keep(new);
    }

    fn scan(&self, origin: &Origin<'_>, bytes: &[u8]) {
        self.collect(origin, bytes, None);
    }

    fn path_key(&self, rel: &str) -> Vec<u64> {
        self.detector.rules().path_key(rel)
    }

    fn scan_piece(&self, origin: &Origin<'_>, bytes: &[u8], piece: &Piece) {
        self.collect(origin, bytes, Some(piece));
    }
}

/// The byte ranges of the given 1-based `lines` (sorted) of `hay`, each
/// without its line end; consecutive lines merge into one range.
fn line_ranges(hay: &[u8], lines: &[u32]) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    let mut wanted = lines.iter().peekable();
    let ends = memchr::memchr_iter(b'\n', hay).chain(std::iter::once(hay.len()));
    let mut start = 0;
    for (line, end) in (1u32..).zip(ends) {
        while wanted.next_if(|&&l| l < line).is_some() {}
        let Some(&&next) = wanted.peek() else {
            break;
        };
        if next == line {
            match out.last_mut() {
                Some(last) if last.end + 1 == start => last.end = end,
                _ => out.push(start..end),
            }
        }
        start = end + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ranges_merge_consecutive_lines() {
        let hay = b"one\ntwo\nthree\nfour\nfive";
        assert_eq!(line_ranges(hay, &[2, 3, 5]), vec![4..13, 19..23]);
        assert_eq!(line_ranges(hay, &[1]), vec![0..3]);
        assert!(line_ranges(hay, &[9]).is_empty());
        assert_eq!(line_ranges(b"", &[1]), vec![0..0]);
    }
}
