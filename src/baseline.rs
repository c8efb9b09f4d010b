//! Baselines: the findings a project has accepted, so that only new ones
//! are reported.
//!
//! An entry is a finding's fingerprint (rule + path relative to the scanned
//! root + secret, hashed; see [`Finding::fingerprint_of`]), so moving a
//! secret within its file keeps it baselined, while a different secret on a
//! baselined line is new. The file is text, one entry per line:
//!
//! ```text
//! # keygate baseline v1 ...
//! 5d2c0f6a9b1e4c7d8a3f2e1b0c9d8e7f aws-access-key-id config/.env
//! ```
//!
//! Invariants: entries are sorted (by path, rule, fingerprint) and unique;
//! there are no timestamps, line numbers or secrets. The same findings always
//! give the same bytes, so the file diffs and merges cleanly in git. Rule and
//! path are there for reviewers; only the fingerprint is matched.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{anyhow, Result};

use crate::diag::printable;
use crate::finding::Finding;
use crate::source::files::describe_io;

const HEADER: &str = "\
# keygate baseline v1: findings accepted as already known; scans with
# --baseline report only findings not listed here. One per line:
# fingerprint rule path. Sorted, no secrets; regenerate with --write-baseline.
";

/// One accepted finding, as a reviewer sees it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub path: String,
    pub rule: String,
    pub fingerprint: String,
}

/// A set of accepted findings, keyed by fingerprint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    entries: BTreeMap<String, Entry>,
}

impl Baseline {
    /// The baseline accepting `findings`; `rel` gives a finding's path
    /// relative to the scanned root.
    pub fn from_findings<'a>(
        findings: impl IntoIterator<Item = &'a Finding>,
        rel: impl Fn(&Finding) -> String,
    ) -> Baseline {
        let entries = findings
            .into_iter()
            .map(|f| {
                let e = Entry {
                    path: one_field(&rel(f)),
                    rule: one_field(&f.rule),
                    fingerprint: f.fingerprint.clone(),
                };
                (e.fingerprint.clone(), e)
            })
            .collect();
        Baseline { entries }
    }

    /// Reads a baseline file. Errors name the file and line.
    pub fn read(path: &Path) -> Result<Baseline> {
        let text = crate::source::files::read_regular_to_string(path).map_err(|e| {
            anyhow!(
                "{}: cannot read baseline: {}",
                path.display(),
                describe_io(&e)
            )
        })?;
        Baseline::parse(&path.display().to_string(), &text)
    }

    pub fn parse(name: &str, text: &str) -> Result<Baseline> {
        let mut entries = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.splitn(3, ' ');
            let fingerprint = parts.next().unwrap_or("").to_ascii_lowercase();
            if fingerprint.len() != 32 || !fingerprint.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(anyhow!(
                    "{name}:{}: not a baseline entry (expected: fingerprint rule path)",
                    i + 1
                ));
            }
            let rule = parts.next().unwrap_or("").to_string();
            let path = parts.next().unwrap_or("").to_string();
            entries.insert(
                fingerprint.clone(),
                Entry {
                    path,
                    rule,
                    fingerprint,
                },
            );
        }
        Ok(Baseline { entries })
    }

    /// The file's bytes: the header, then one sorted line per entry.
    pub fn to_text(&self) -> String {
        let mut sorted: Vec<&Entry> = self.entries.values().collect();
        sorted.sort();
        let mut out = String::from(HEADER);
        for e in sorted {
            out.push_str(&format!("{} {} {}\n", e.fingerprint, e.rule, e.path));
        }
        out
    }

    /// Writes the file (replacing it whole).
    pub fn write(&self, path: &Path) -> Result<()> {
        std::fs::write(path, self.to_text()).map_err(|e| {
            anyhow!(
                "{}: cannot write baseline: {}",
                path.display(),
                describe_io(&e)
            )
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn contains(&self, f: &Finding) -> bool {
        self.entries.contains_key(&f.fingerprint)
    }

    /// Entries no finding matches, sorted.
    pub fn stale<'a>(&'a self, findings: &[Finding]) -> Vec<&'a Entry> {
        let live: std::collections::HashSet<&str> =
            findings.iter().map(|f| f.fingerprint.as_str()).collect();
        let mut stale: Vec<&Entry> = self
            .entries
            .values()
            .filter(|e| !live.contains(e.fingerprint.as_str()))
            .collect();
        stale.sort();
        stale
    }

    /// Removes the entries with these fingerprints.
    pub fn remove<'a>(&mut self, fingerprints: impl IntoIterator<Item = &'a str>) {
        for fp in fingerprints {
            self.entries.remove(fp);
        }
    }
}

/// A value safe to put in one space-separated field of one line.
fn one_field(s: &str) -> String {
    printable(s).replace(' ', "\\x20")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: &str, path: &str, secret: &str, line: usize) -> Finding {
        Finding {
            line,
            ..Finding::new(rule, path, path, secret.as_bytes())
        }
    }

    #[test]
    fn text_is_sorted_stable_and_free_of_secrets_and_lines() {
        let a = finding("r2", "b.env", "s3cr3t-one", 9);
        let b = finding("r1", "a.env", "s3cr3t-two", 4);
        let c = finding("r1", "a.env", "s3cr3t-two", 40); // same secret again
        let x = Baseline::from_findings([&a, &b, &c], |f| f.path.clone()).to_text();
        let y = Baseline::from_findings([&c, &a, &b], |f| f.path.clone()).to_text();
        assert_eq!(x, y);
        let body: Vec<&str> = x.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(body.len(), 2);
        assert!(body[0].ends_with(" r1 a.env") && body[1].ends_with(" r2 b.env"));
        assert!(!x.contains("s3cr3t") && !x.contains(" 9") && !x.contains(" 4"));
        assert_eq!(Baseline::parse("b", &x).unwrap().to_text(), x);
    }

    #[test]
    fn stale_entries_and_membership() {
        let a = finding("r", "a", "one", 1);
        let b = finding("r", "a", "two", 1);
        let mut base = Baseline::from_findings([&a, &b], |f| f.path.clone());
        assert!(base.contains(&a));
        let stale: Vec<String> = base
            .stale(std::slice::from_ref(&a))
            .iter()
            .map(|e| e.fingerprint.clone())
            .collect();
        assert_eq!(stale, std::slice::from_ref(&b.fingerprint));
        base.remove(stale.iter().map(String::as_str));
        assert_eq!(base.len(), 1);
    }

    #[test]
    fn paths_with_spaces_stay_one_line_and_bad_lines_are_errors() {
        let a = finding("r", "dir name/a\nb.env", "one", 1);
        let text = Baseline::from_findings([&a], |f| f.path.clone()).to_text();
        assert_eq!(text.lines().filter(|l| !l.starts_with('#')).count(), 1);
        let e = Baseline::parse("b.txt", "# c\nxyz r p\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "b.txt:2: not a baseline entry (expected: fingerprint rule path)"
        );
    }
}
