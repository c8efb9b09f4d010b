//! Ignore files: findings a project has looked at and declared harmless.
//!
//! `.keygateignore` and `.gitleaksignore` in the scanned root hold one entry
//! per line; blank lines and lines starting with `#` are skipped. An entry
//! is either
//! - a keygate fingerprint (32 hex digits, as in reports and baselines),
//!   optionally followed by whitespace and anything (a note for humans); or
//! - a gitleaks fingerprint: `commit:file:rule:line` for a finding in a
//!   commit, or `file:rule:line`, which matches in any commit and in
//!   non-git scans. `file` is relative to the scanned root; `rule` may be a
//!   gitleaks default rule id that keygate spells differently.
//!
//! A keygate fingerprint ignores the secret wherever it moves in its file; a
//! gitleaks fingerprint pins one line. Malformed entries are errors in
//! `.keygateignore` and warnings in `.gitleaksignore` (as in gitleaks).

use std::collections::HashSet;
use std::path::Path;

use anyhow::{anyhow, Result};

use crate::config::keygate_ids_for;
use crate::diag;
use crate::finding::Finding;
use crate::source::files::describe_io;

pub const KEYGATE_IGNORE: &str = ".keygateignore";
pub const GITLEAKS_IGNORE: &str = ".gitleaksignore";

/// The entries of a project's ignore files.
#[derive(Debug, Default)]
pub struct IgnoreList {
    /// Lowercased keygate fingerprints.
    fingerprints: HashSet<String>,
    gitleaks: Vec<GitleaksEntry>,
}

#[derive(Debug, PartialEq, Eq)]
struct GitleaksEntry {
    /// Lowercased.
    commit: Option<String>,
    file: String,
    rule: String,
    line: usize,
}

impl IgnoreList {
    /// Reads `.keygateignore` and `.gitleaksignore` in `root`, those that
    /// exist.
    pub fn load(root: &Path) -> Result<IgnoreList> {
        let mut list = IgnoreList::default();
        for (name, strict) in [(KEYGATE_IGNORE, true), (GITLEAKS_IGNORE, false)] {
            let path = root.join(name);
            let text = match crate::source::files::read_regular_to_string(&path) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(anyhow!("{}: {}", path.display(), describe_io(&e))),
            };
            list.add(&path.display().to_string(), &text, strict)?;
        }
        Ok(list)
    }

    /// Adds the entries of one file; `strict` makes a malformed entry an
    /// error rather than a warning.
    pub fn add(&mut self, name: &str, text: &str, strict: bool) -> Result<()> {
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let first = line.split_whitespace().next().unwrap_or("");
            if is_fingerprint(first) {
                self.fingerprints.insert(first.to_ascii_lowercase());
            } else if let Some(entry) = parse_gitleaks(line) {
                self.gitleaks.push(entry);
            } else {
                let message = format!(
                    "{name}:{}: not a fingerprint (32 hex digits, or gitleaks' [commit:]file:rule:line)",
                    i + 1
                );
                if strict {
                    return Err(anyhow!(message));
                }
                diag::warn(
                    name,
                    format!("line {}: ignored entry: not a fingerprint", i + 1),
                );
            }
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty() && self.gitleaks.is_empty()
    }

    /// True if `f` is ignored. `rel` is its path relative to the scanned
    /// root.
    pub fn ignores(&self, f: &Finding, rel: &str) -> bool {
        if self.fingerprints.contains(&f.fingerprint) {
            return true;
        }
        let commit = f.commit.as_deref().map(|c| c.commit.to_ascii_lowercase());
        self.gitleaks.iter().any(|e| {
            // gitleaks puts findings of path-only rules on line 0.
            (e.line == f.line || (e.line == 0 && f.secret.is_empty()))
                && e.file == rel
                && (e.rule == f.rule || keygate_ids_for(&e.rule).contains(&f.rule.as_str()))
                && match &e.commit {
                    None => true,
                    Some(c) => commit.as_deref() == Some(c.as_str()),
                }
        })
    }
}

fn is_fingerprint(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `commit:file:rule:line` or `file:rule:line`; backslashes in the file
/// become slashes (as gitleaks normalises them).
fn parse_gitleaks(line: &str) -> Option<GitleaksEntry> {
    let parts: Vec<&str> = line.split(':').collect();
    let (commit, file, rule, num) = match parts.as_slice() {
        [file, rule, num] => (None, *file, *rule, *num),
        [commit, file, rule, num] => (Some(commit.to_ascii_lowercase()), *file, *rule, *num),
        _ => return None,
    };
    let line = num.parse().ok()?;
    if file.is_empty() || rule.is_empty() {
        return None;
    }
    Some(GitleaksEntry {
        commit,
        file: file.replace('\\', "/"),
        rule: rule.to_string(),
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn finding(rule: &str, line: usize, commit: Option<&str>) -> Finding {
        Finding {
            line,
            commit: commit.map(|c| {
                Arc::new(crate::finding::CommitInfo {
                    commit: c.into(),
                    author: String::new(),
                    email: String::new(),
                    date: String::new(),
                    summary: String::new(),
                })
            }),
            ..Finding::new(rule, "./src/a.env", "src/a.env", b"s")
        }
    }

    #[test]
    fn keygate_fingerprints_and_comments() {
        let f = finding("r", 3, None);
        let mut list = IgnoreList::default();
        list.add(
            "i",
            &format!("# note\n\n{}  r src/a.env\n", f.fingerprint.to_uppercase()),
            true,
        )
        .unwrap();
        assert!(list.ignores(&f, "src/a.env"));
        assert!(!list.ignores(&finding("other", 3, None), "src/a.env"));
    }

    #[test]
    fn gitleaks_fingerprints_pin_file_rule_line_and_commit() {
        let mut list = IgnoreList::default();
        list.add(
            "g",
            "src/a.env:aws-access-token:3\nABCDEF12:src/a.env:r:7\nnonsense here\n",
            false,
        )
        .unwrap();
        assert!(list.ignores(&finding("aws-access-key-id", 3, None), "src/a.env"));
        assert!(list.ignores(&finding("aws-access-key-id", 3, Some("abc")), "src/a.env"));
        assert!(!list.ignores(&finding("aws-access-key-id", 4, None), "src/a.env"));
        assert!(list.ignores(&finding("r", 7, Some("abcdef12")), "src/a.env"));
        assert!(!list.ignores(&finding("r", 7, Some("abcdef13")), "src/a.env"));
        assert!(!list.ignores(&finding("r", 7, None), "src/a.env"));
    }

    #[test]
    fn malformed_keygate_entries_are_errors() {
        let e = IgnoreList::default()
            .add(".keygateignore", "# ok\nnot-a-fingerprint\n", true)
            .unwrap_err();
        assert!(e
            .to_string()
            .starts_with(".keygateignore:2: not a fingerprint"));
    }
}
