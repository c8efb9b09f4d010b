//! The scan driver: the [`Sink`] that runs the detector on every buffer a
//! source produces and turns matches into [`Finding`]s.

use std::cell::RefCell;
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
    fn collect(&self, origin: &Origin<'_>, bytes: &[u8], piece: Option<&Piece>) {
        let matches = SCRATCH.with(|s| {
            self.detector
                .detect(bytes, Some(origin.rel), &mut s.borrow_mut())
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
        if !new.is_empty() {
            self.found
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(new);
        }
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
        if !new.is_empty() {
            self.found
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(new);
        }
    }

    fn scan(&self, origin: &Origin<'_>, bytes: &[u8]) {
        self.collect(origin, bytes, None);
    }

    fn scan_piece(&self, origin: &Origin<'_>, bytes: &[u8], piece: &Piece) {
        self.collect(origin, bytes, Some(piece));
    }
}
