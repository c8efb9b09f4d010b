//! A [`Finding`]: one secret, where it is, and what is known about it.
//!
//! Findings are built by the scan driver from detector matches plus the
//! provenance a source gives; verification may fill in `verification`; the
//! report stage only reads them.

use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};

/// How bad a finding is, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// The commit that introduced a finding (history scans only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitInfo {
    pub commit: String,
    pub author: String,
    pub email: String,
    /// RFC 3339.
    pub date: String,
    pub summary: String,
}

/// Result of a live check of a credential; see `verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Verification {
    Live {
        account: String,
        arn: String,
        user_id: String,
    },
    Invalid,
    Expired,
    Unverified,
    Canary,
    Error {
        reason: String,
    },
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: String,
    pub description: String,
    /// Path as given by the source: relative to the scanned root, or a path
    /// inside a commit's tree, or `-` for stdin.
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub secret: String,
    pub entropy: f64,
    pub fingerprint: String,
    pub commit: Option<Arc<CommitInfo>>,
    /// Later commits that still contain the same secret in the same file.
    pub later_commits: usize,
    pub verification: Option<Verification>,
    /// AWS account decoded offline from an access key id.
    pub account: Option<String>,
    /// The rule's default until triage decides from what is known.
    pub severity: Severity,
    /// What to do about it (AWS keys), filled in by triage.
    pub playbook: Option<crate::triage::Playbook>,
}

impl Finding {
    /// A finding of `rule` at `path` (as shown to the user) with every other
    /// field at its default: line and column 1, no description, no commit,
    /// not verified, high severity. `rel` is the path the fingerprint is
    /// derived from (relative to the scanned root).
    pub fn new(rule: &str, path: &str, rel: &str, secret: &[u8]) -> Finding {
        Finding {
            rule: rule.to_string(),
            description: String::new(),
            path: path.to_string(),
            line: 1,
            column: 1,
            secret: String::from_utf8_lossy(secret).into_owned(),
            entropy: 0.0,
            fingerprint: Finding::fingerprint_of(rule, rel, secret),
            commit: None,
            later_commits: 0,
            verification: None,
            account: None,
            severity: Severity::High,
            playbook: None,
        }
    }

    /// A content fingerprint: stable across runs and line moves, derived from
    /// rule, path and secret only, and not reversible to the secret.
    pub fn fingerprint_of(rule: &str, path: &str, secret: &[u8]) -> String {
        let mut h = Sha256::new();
        h.update(b"keygate-fp-v1\0");
        h.update(rule.as_bytes());
        h.update(b"\0");
        h.update(path.as_bytes());
        h.update(b"\0");
        h.update(secret);
        let digest = h.finalize();
        digest[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The secret as shown when secrets are hidden: a short prefix and `…`.
    /// At most a fifth of the secret, and never more than 4 characters, is
    /// shown.
    pub fn redacted_secret(&self) -> String {
        redact(&self.secret)
    }

    /// Sort key giving a deterministic output order.
    pub fn order_key(&self) -> (&str, &str, usize, usize, &str) {
        let commit = self.commit.as_deref().map_or("", |c| c.commit.as_str());
        (&self.path, commit, self.line, self.column, &self.rule)
    }
}

/// See [`Finding::redacted_secret`].
pub fn redact(secret: &str) -> String {
    let n = secret.chars().count();
    let keep = (n / 5).min(4);
    let prefix: String = secret.chars().take(keep).collect();
    format!("{prefix}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_shows_at_most_a_fifth() {
        assert_eq!(redact("AKIAAU4PCZL6HT4DTCBS"), "AKIA…");
        assert_eq!(redact("short"), "s…");
        assert_eq!(redact("abc"), "…");
    }

    #[test]
    fn fingerprint_depends_on_rule_path_secret_only() {
        let a = Finding::fingerprint_of("r", "p", b"s");
        assert_eq!(a, Finding::fingerprint_of("r", "p", b"s"));
        assert_ne!(a, Finding::fingerprint_of("r", "p2", b"s"));
        assert_ne!(a, Finding::fingerprint_of("r2", "p", b"s"));
        assert_eq!(a.len(), 32);
    }
}
