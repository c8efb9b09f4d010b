//! Severity of AWS findings from what the key is and what STS said.
//!
//! | what | severity |
//! |---|---|
//! | live key of an account root (`arn:aws:iam::<account>:root`) | critical |
//! | live long-term key (AKIA…) | critical |
//! | live temporary key (ASIA…) | high |
//! | not verified, secret key found nearby | high |
//! | key id alone, no secret nearby | medium |
//! | expired, invalid or canary | low |
//!
//! A secret key or session token takes the highest severity of the key ids
//! it pairs with; other rules keep their rule's default.

use std::collections::BTreeMap;

use super::playbook::{Playbook, PlaybookKind};
use crate::finding::{Finding, Severity, Verification};
use crate::verify::{paired_secrets, KEY_ID_RULE, SESSION_TOKEN_RULE};

/// Sets the severity and playbook of every AWS finding.
pub fn assess(findings: &mut [Finding]) {
    let pairs = paired_secrets(findings);
    let mut secret_severity: BTreeMap<usize, Severity> = BTreeMap::new();
    for (&k, secrets) in &pairs {
        let severity = key_severity(&findings[k], !secrets.is_empty());
        findings[k].severity = severity;
        findings[k].playbook = Some(Playbook::for_key(&findings[k]));
        for &s in secrets {
            let e = secret_severity.entry(s).or_insert(severity);
            *e = (*e).max(severity);
        }
    }
    for (s, severity) in secret_severity {
        findings[s].severity = severity;
    }
    for f in findings.iter_mut().filter(|f| f.rule == SESSION_TOKEN_RULE) {
        if matches!(
            f.verification,
            Some(Verification::Expired | Verification::Invalid | Verification::Canary)
        ) {
            f.severity = Severity::Low;
        }
    }
}

fn key_severity(key: &Finding, secret_nearby: bool) -> Severity {
    debug_assert_eq!(key.rule, KEY_ID_RULE);
    match &key.verification {
        Some(Verification::Live { arn, .. }) => {
            if is_root_arn(arn) || PlaybookKind::of(key, Some(arn)) == PlaybookKind::UserKey {
                Severity::Critical
            } else {
                Severity::High
            }
        }
        Some(Verification::Expired | Verification::Invalid | Verification::Canary) => Severity::Low,
        Some(Verification::Unverified | Verification::Error { .. }) | None => {
            if secret_nearby {
                Severity::High
            } else {
                Severity::Medium
            }
        }
    }
}

/// `arn:aws:iam::123456789012:root`.
pub(super) fn is_root_arn(arn: &str) -> bool {
    arn.starts_with("arn:aws") && arn.ends_with(":root") && arn.contains(":iam::")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, v: Option<Verification>) -> Finding {
        let mut f = finding(KEY_ID_RULE, id, 1);
        f.verification = v;
        f
    }

    fn finding(rule: &str, secret: &str, line: usize) -> Finding {
        Finding {
            line,
            ..Finding::new(rule, "p", "p", secret.as_bytes())
        }
    }

    fn live(arn: &str) -> Option<Verification> {
        Some(Verification::Live {
            account: "123456789012".into(),
            arn: arn.into(),
            user_id: "AIDAEXAMPLE".into(),
        })
    }

    fn severity_of(mut fs: Vec<Finding>) -> Vec<Severity> {
        assess(&mut fs);
        fs.iter().map(|f| f.severity).collect()
    }

    const SECRET: &str = "wkEJ3PEVVIPcP4Y7p4tD14z4gzM+jppZxO4z7Kdc";

    #[test]
    fn live_root_key_is_critical() {
        let fs = vec![key(
            "AKIAAU4PCZL6HT4DTCBS",
            live("arn:aws:iam::123456789012:root"),
        )];
        assert_eq!(severity_of(fs), [Severity::Critical]);
    }

    #[test]
    fn live_user_key_is_critical_and_its_secret_too() {
        let fs = vec![
            key(
                "AKIAAU4PCZL6HT4DTCBS",
                live("arn:aws:iam::123456789012:user/alice"),
            ),
            finding("aws-secret-access-key", SECRET, 2),
        ];
        assert_eq!(severity_of(fs), [Severity::Critical, Severity::Critical]);
    }

    #[test]
    fn temporary_keys_are_high_while_live_and_low_once_expired() {
        let arn = "arn:aws:sts::123456789012:assumed-role/deploy/s";
        let fs = vec![key("ASIALEUHQXR22EPPW246", live(arn))];
        assert_eq!(severity_of(fs), [Severity::High]);
        let fs = vec![key("ASIALEUHQXR22EPPW246", Some(Verification::Expired))];
        assert_eq!(severity_of(fs), [Severity::Low]);
    }

    #[test]
    fn unverified_key_with_secret_is_high_alone_medium() {
        let fs = vec![
            key("AKIAAU4PCZL6HT4DTCBS", None),
            finding("aws-secret-access-key", SECRET, 3),
        ];
        assert_eq!(severity_of(fs), [Severity::High, Severity::High]);
        let fs = vec![key("AKIAAU4PCZL6HT4DTCBS", Some(Verification::Unverified))];
        assert_eq!(severity_of(fs), [Severity::Medium]);
        let far = vec![
            key("AKIAAU4PCZL6HT4DTCBS", None),
            finding("aws-secret-access-key", SECRET, 300),
        ];
        assert_eq!(severity_of(far)[0], Severity::Medium);
    }

    #[test]
    fn invalid_and_canary_keys_are_low() {
        for v in [Verification::Invalid, Verification::Canary] {
            let fs = vec![key("AKIAAU4PCZL6HT4DTCBS", Some(v.clone())), {
                let mut s = finding("aws-secret-access-key", SECRET, 2);
                s.verification = Some(v);
                s
            }];
            assert_eq!(severity_of(fs), [Severity::Low, Severity::Low]);
        }
    }

    #[test]
    fn verification_errors_do_not_lower_severity() {
        let fs = vec![
            key(
                "AKIAAU4PCZL6HT4DTCBS",
                Some(Verification::Error {
                    reason: "timeout".into(),
                }),
            ),
            finding("aws-secret-access-key", SECRET, 2),
        ];
        assert_eq!(severity_of(fs), [Severity::High, Severity::High]);
    }

    #[test]
    fn other_rules_keep_their_default() {
        let mut f = finding("github-token", "ghp_x", 1);
        f.severity = Severity::Medium;
        assert_eq!(severity_of(vec![f]), [Severity::Medium]);
    }
}
