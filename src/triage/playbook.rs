//! Remediation playbooks for AWS keys: templates (data, in
//! `rules/data/playbooks.toml`) filled in for one key and, once verified,
//! its user or role.
//!
//! Invariant: a rendered playbook contains the key id only when secrets are
//! shown; otherwise commands use `$KEY_ID` and say how to fill it in.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::severity::is_root_arn;
use crate::finding::{Finding, Verification};

const TEMPLATES: &str = include_str!("../../rules/data/playbooks.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlaybookKind {
    UserKey,
    RootKey,
    TemporaryKey,
}

impl PlaybookKind {
    /// What kind of key `key` is, from its prefix and (if verified) ARN.
    pub fn of(key: &Finding, arn: Option<&str>) -> PlaybookKind {
        if key.secret.starts_with("ASIA") {
            PlaybookKind::TemporaryKey
        } else if arn.is_some_and(is_root_arn) {
            PlaybookKind::RootKey
        } else {
            PlaybookKind::UserKey
        }
    }

    fn template_name(self) -> &'static str {
        match self {
            PlaybookKind::UserKey => "aws-user-key",
            PlaybookKind::RootKey => "aws-root-key",
            PlaybookKind::TemporaryKey => "aws-temporary-key",
        }
    }
}

/// What to do about one AWS key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Playbook {
    pub kind: PlaybookKind,
    pub key_id: String,
    pub account: Option<String>,
    /// IAM user name, known once the key is verified live.
    pub user: Option<String>,
    /// Role of temporary credentials, known once verified live.
    pub role: Option<String>,
}

/// One step, rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    #[serde(rename = "do")]
    pub what: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Template {
    title: String,
    steps: Vec<TemplateStep>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateStep {
    #[serde(rename = "do")]
    what: String,
    run: Option<String>,
}

fn templates() -> &'static BTreeMap<String, Template> {
    static T: OnceLock<BTreeMap<String, Template>> = OnceLock::new();
    T.get_or_init(|| toml::from_str(TEMPLATES).expect("rules/data/playbooks.toml is valid"))
}

impl Playbook {
    pub fn for_key(key: &Finding) -> Playbook {
        let arn = match &key.verification {
            Some(Verification::Live { arn, .. }) => Some(arn.as_str()),
            _ => None,
        };
        Playbook {
            kind: PlaybookKind::of(key, arn),
            key_id: key.secret.clone(),
            account: key.account.clone(),
            user: arn.and_then(|a| arn_resource(a, "user/")),
            role: arn.and_then(|a| arn_resource(a, "assumed-role/")),
        }
    }

    pub fn title(&self) -> &str {
        &templates()[self.kind.template_name()].title
    }

    /// The steps with every placeholder filled in.
    pub fn steps(&self, show_secrets: bool) -> Vec<Step> {
        let key_id = if show_secrets {
            self.key_id.clone()
        } else {
            "$KEY_ID".to_string()
        };
        let user = self.user.clone().unwrap_or_else(|| {
            format!(
                "\"$(aws iam get-access-key-last-used --access-key-id {key_id} --query UserName --output text)\""
            )
        });
        let role = self.role.clone().unwrap_or_else(|| "ROLE_NAME".into());
        let account = self.account.clone().unwrap_or_else(|| "ACCOUNT".into());
        let now = rfc3339_utc(SystemTime::now());
        let fill = |s: &str| {
            s.replace("{key_id}", &key_id)
                .replace("{user}", &user)
                .replace("{role}", &role)
                .replace("{account}", &account)
                .replace("{now}", &now)
        };
        let mut steps = Vec::new();
        if !show_secrets {
            steps.push(Step {
                what: "Set KEY_ID to the key id (run keygate with --show-secrets to see it)".into(),
                run: Some(format!("KEY_ID={}...", self.key_id.get(..4).unwrap_or(""))),
            });
        }
        if self.kind == PlaybookKind::TemporaryKey && self.role.is_none() {
            steps.push(Step {
                what: "Find the role: with these credentials, `aws sts get-caller-identity` shows arn:aws:sts::ACCOUNT:assumed-role/ROLE_NAME/SESSION".into(),
                run: None,
            });
        }
        for t in &templates()[self.kind.template_name()].steps {
            steps.push(Step {
                what: fill(&t.what),
                run: t.run.as_deref().map(fill),
            });
        }
        steps
    }
}

/// The resource name after `kind` in an ARN: `user/` in
/// `arn:aws:iam::1:user/path/alice` gives `alice`; `assumed-role/` in
/// `arn:aws:sts::1:assumed-role/deploy/session` gives `deploy`.
fn arn_resource(arn: &str, kind: &str) -> Option<String> {
    let rest = &arn[arn.find(kind)? + kind.len()..];
    let name = if kind == "user/" {
        rest.rsplit('/').next()
    } else {
        rest.split('/').next()
    };
    name.filter(|n| !n.is_empty()).map(str::to_string)
}

/// `2026-11-25T12:00:00Z` for a time after the Unix epoch.
fn rfc3339_utc(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn templates_parse_and_cover_every_kind() {
        for k in [
            PlaybookKind::UserKey,
            PlaybookKind::RootKey,
            PlaybookKind::TemporaryKey,
        ] {
            assert!(templates().contains_key(k.template_name()));
        }
    }

    #[test]
    fn arn_parts() {
        assert_eq!(
            arn_resource("arn:aws:iam::1:user/alice", "user/").as_deref(),
            Some("alice")
        );
        assert_eq!(
            arn_resource("arn:aws:iam::1:user/ops/bob", "user/").as_deref(),
            Some("bob")
        );
        assert_eq!(
            arn_resource("arn:aws:sts::1:assumed-role/deploy/s1", "assumed-role/").as_deref(),
            Some("deploy")
        );
        assert_eq!(arn_resource("arn:aws:iam::1:root", "user/"), None);
    }

    #[test]
    fn dates() {
        assert_eq!(rfc3339_utc(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_072_000);
        assert_eq!(rfc3339_utc(t), "2025-11-25T12:00:00Z");
        let leap = SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339_utc(leap), "2000-02-29T00:00:00Z");
    }

    fn verified_user_key() -> Playbook {
        Playbook {
            kind: PlaybookKind::UserKey,
            key_id: "AKIAAU4PCZL6HT4DTCBS".into(),
            account: Some("123456789012".into()),
            user: Some("alice".into()),
            role: None,
        }
    }

    #[test]
    fn user_playbook_names_user_and_key_when_shown() {
        let steps = verified_user_key().steps(true);
        assert_eq!(
            steps[0].run.as_deref(),
            Some("aws iam update-access-key --user-name alice --access-key-id AKIAAU4PCZL6HT4DTCBS --status Inactive")
        );
        assert!(steps
            .iter()
            .any(|s| s.run.as_deref() == Some("aws iam create-access-key --user-name alice")));
        assert!(steps
            .iter()
            .any(|s| s.what.contains("does not replace revoking")));
    }

    #[test]
    fn redacted_playbook_never_holds_the_key_id() {
        let steps = verified_user_key().steps(false);
        let all = format!("{steps:?}");
        assert!(!all.contains("AKIAAU4PCZL6HT4DTCBS"));
        assert!(all.contains("--access-key-id $KEY_ID"));
    }

    #[test]
    fn root_and_temporary_playbooks() {
        let mut p = verified_user_key();
        p.kind = PlaybookKind::RootKey;
        let all = format!("{:?}", p.steps(true));
        assert!(all.contains("MFA"), "{all}");
        assert!(all.contains("delete-access-key --access-key-id AKIAAU4PCZL6HT4DTCBS"));
        p.kind = PlaybookKind::TemporaryKey;
        p.role = Some("deploy".into());
        let all = format!("{:?}", p.steps(true));
        assert!(all.contains("put-role-policy --role-name deploy"), "{all}");
        assert!(all.contains("aws:TokenIssueTime"));
    }
}
