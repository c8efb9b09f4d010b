//! The scan driver: the [`Sink`] that runs the detector on every buffer a
//! source produces and turns matches into [`Finding`]s.

use std::cell::RefCell;
use std::sync::Mutex;

use crate::detect::{Detector, Match, Scratch};
use crate::finding::Finding;
use crate::source::{Origin, Sink};

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

    fn finding(&self, origin: &Origin<'_>, bytes: &[u8], m: &Match) -> Finding {
        let rule = &self.detector.rules().rules[m.rule];
        let secret = &bytes[m.start..m.end];
        Finding {
            rule: rule.id.clone(),
            description: rule.description.clone(),
            path: origin.path.to_string(),
            line: m.line,
            column: m.column,
            secret: String::from_utf8_lossy(secret).into_owned(),
            entropy: m.entropy,
            fingerprint: Finding::fingerprint_of(&rule.id, origin.rel, secret),
            commit: origin.commit.cloned(),
            later_commits: 0,
            verification: None,
            account: None,
            severity: rule.severity,
            playbook: None,
        }
    }
}

impl Sink for Collector<'_> {
    fn scan(&self, origin: &Origin<'_>, bytes: &[u8]) {
        let matches = SCRATCH.with(|s| {
            self.detector
                .detect(bytes, Some(origin.rel), &mut s.borrow_mut())
        });
        let wanted = |m: &&Match| {
            origin
                .lines
                .is_none_or(|lines| lines.binary_search(&(m.line as u32)).is_ok())
        };
        let new: Vec<Finding> = matches
            .iter()
            .filter(wanted)
            .map(|m| self.finding(origin, bytes, m))
            .collect();
        if !new.is_empty() {
            self.found
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(new);
        }
    }
}
