//! Pairing AWS key ids with the secrets (and session tokens) found near
//! them, and deciding each finding's verdict from the checks' outcomes.
//!
//! Pure logic, no I/O: [`plan`] lists the distinct credentials to check and,
//! for every AWS finding, where its verdict comes from; [`verdict`] combines
//! the outcomes.
//!
//! Rules:
//! - Findings pair only within one group: the same `path` in the same commit
//!   (the same file or blob).
//! - A key id pairs with every secret within [`PAIR_WINDOW_LINES`] lines of
//!   it (before or after); an `ASIA…` key also takes the nearest session
//!   token of its group. An `ASIA…` key without a token is not checked (STS
//!   cannot accept it), so it stays `Unverified`.
//! - A key id whose account is a canary account is never checked; it and its
//!   paired secrets are `Canary`.
//! - Each distinct (key id, secret, token) appears once in [`Plan::checks`].

use std::collections::{BTreeMap, HashMap};

use super::canary::Canaries;
use super::sign::AwsCredentials;
use crate::{Finding, Verification};

/// Rule id of AWS access key id findings (secret = the 20-character key id).
pub const KEY_ID_RULE: &str = "aws-access-key-id";
/// Rule id of AWS secret access key findings (secret = the 40-character secret).
pub const SECRET_RULE: &str = "aws-secret-access-key";
/// Rule id of AWS session token findings.
pub const SESSION_TOKEN_RULE: &str = "aws-session-token";
/// Largest line distance between a key id and a secret it pairs with.
pub const PAIR_WINDOW_LINES: usize = 20;

/// Where part of a finding's verdict comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// The outcome of `Plan::checks[i]`.
    Check(usize),
    /// A canary key (no check made).
    Canary,
}

/// What to check, and how findings get their verdicts.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// Distinct credentials, each to be checked once.
    pub checks: Vec<AwsCredentials>,
    /// Every key id finding, and every secret and token finding that paired
    /// with a key id (by index), with the sources of its verdict; no sources
    /// means `Unverified`. Sources hold no duplicates.
    pub sources: BTreeMap<usize, Vec<Source>>,
    /// Key id findings that are canaries.
    pub canary_keys: usize,
}

#[derive(Default)]
struct Group {
    keys: Vec<usize>,
    secrets: Vec<usize>,
    tokens: Vec<usize>,
}

/// For every AWS key id finding (by index), the secret key findings it
/// pairs with: same file or blob, at most `PAIR_WINDOW_LINES` lines apart,
/// before or after.
pub fn paired_secrets(findings: &[Finding]) -> BTreeMap<usize, Vec<usize>> {
    let mut pairs = BTreeMap::new();
    for g in groups(findings) {
        for &k in &g.keys {
            pairs.insert(k, near_secrets(findings, &g, k));
        }
    }
    pairs
}

fn near_secrets(findings: &[Finding], g: &Group, key: usize) -> Vec<usize> {
    let line = findings[key].line;
    g.secrets
        .iter()
        .copied()
        .filter(|&s| findings[s].line.abs_diff(line) <= PAIR_WINDOW_LINES)
        .collect()
}

/// Groups the AWS findings by the file or blob they are in.
fn groups(findings: &[Finding]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut group_of: HashMap<(&str, Option<&str>), usize> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        let kind = f.rule.as_str();
        if ![KEY_ID_RULE, SECRET_RULE, SESSION_TOKEN_RULE].contains(&kind) {
            continue;
        }
        let id = (
            f.path.as_str(),
            f.commit.as_deref().map(|c| c.commit.as_str()),
        );
        let g = *group_of.entry(id).or_insert_with(|| {
            groups.push(Group::default());
            groups.len() - 1
        });
        let g = &mut groups[g];
        match kind {
            KEY_ID_RULE => g.keys.push(i),
            SECRET_RULE => g.secrets.push(i),
            _ => g.tokens.push(i),
        }
    }
    groups
}

/// Builds the plan for `findings` (findings of other rules are ignored).
pub(crate) fn plan(findings: &[Finding], canaries: &Canaries) -> Plan {
    let mut plan = Plan::default();
    let mut check_of: HashMap<AwsCredentials, usize> = HashMap::new();
    for g in &groups(findings) {
        for &k in &g.keys {
            plan.sources.entry(k).or_default();
            let key = &findings[k];
            let near = near_secrets(findings, g, k);
            if canaries.is_canary_key(&key.secret) {
                plan.canary_keys += 1;
                for i in std::iter::once(k).chain(near) {
                    add(&mut plan.sources, i, Source::Canary);
                }
                continue;
            }
            let token = if key.secret.starts_with("ASIA") {
                match nearest(findings, key.line, &g.tokens) {
                    Some(t) => Some(t),
                    None => continue, // cannot be checked without its token
                }
            } else {
                None
            };
            for s in near {
                let creds = AwsCredentials {
                    key_id: key.secret.clone(),
                    secret: findings[s].secret.clone(),
                    session_token: token.map(|t| findings[t].secret.clone()),
                };
                let c = match check_of.get(&creds) {
                    Some(&c) => c,
                    None => {
                        plan.checks.push(creds.clone());
                        check_of.insert(creds, plan.checks.len() - 1);
                        plan.checks.len() - 1
                    }
                };
                for i in [Some(k), Some(s), token].into_iter().flatten() {
                    add(&mut plan.sources, i, Source::Check(c));
                }
            }
        }
    }
    plan
}

fn add(sources: &mut BTreeMap<usize, Vec<Source>>, finding: usize, source: Source) {
    let v = sources.entry(finding).or_default();
    if !v.contains(&source) {
        v.push(source);
    }
}

/// The candidate closest in lines to `line` (ties: the earlier line, then
/// the earlier finding).
fn nearest(findings: &[Finding], line: usize, candidates: &[usize]) -> Option<usize> {
    candidates
        .iter()
        .copied()
        .min_by_key(|&t| (findings[t].line.abs_diff(line), findings[t].line, t))
}

/// Combines the outcomes of a finding's sources. Precedence: `Live` (any),
/// then `Expired`, `Canary`, `Error`; `Invalid` only if every outcome is
/// `Invalid`; no sources: `Unverified`.
pub(crate) fn verdict(sources: &[Source], results: &[Verification]) -> Verification {
    let outcomes: Vec<&Verification> = sources
        .iter()
        .map(|s| match s {
            Source::Check(i) => &results[*i],
            Source::Canary => &Verification::Canary,
        })
        .collect();
    if outcomes.is_empty() {
        return Verification::Unverified;
    }
    let first =
        |pred: fn(&Verification) -> bool| outcomes.iter().find(|v| pred(v)).map(|v| (*v).clone());
    first(|v| matches!(v, Verification::Live { .. }))
        .or_else(|| first(|v| matches!(v, Verification::Expired)))
        .or_else(|| first(|v| matches!(v, Verification::Canary)))
        .or_else(|| first(|v| matches!(v, Verification::Error { .. })))
        .or_else(|| {
            outcomes
                .iter()
                .all(|v| matches!(v, Verification::Invalid))
                .then_some(Verification::Invalid)
        })
        .unwrap_or(Verification::Unverified)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use super::super::account::tests::key_id_for_account;
    use super::*;
    use crate::CommitInfo;

    const KEY: &str = "AKIAY34FZKBOKMUTVV7A";
    const SECRET: &str = "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";
    const SECRET2: &str = "hgovC9JPna2EFygOgeda9/neeMyJTVQmey7WuAP1";

    pub(crate) fn finding(rule: &str, path: &str, line: usize, secret: &str) -> Finding {
        Finding {
            line,
            ..Finding::new(rule, path, path, secret.as_bytes())
        }
    }

    fn in_commit(mut f: Finding, commit: &str) -> Finding {
        f.commit = Some(Arc::new(CommitInfo {
            commit: commit.into(),
            author: "a".into(),
            email: "a@example.org".into(),
            date: "2024-01-01T00:00:00Z".into(),
            summary: "s".into(),
        }));
        f
    }

    fn sources(p: &Plan, i: usize) -> Option<&[Source]> {
        p.sources.get(&i).map(Vec::as_slice)
    }

    #[test]
    fn key_and_secret_pair_in_either_order_within_the_window() {
        let fs = [
            finding(SECRET_RULE, "a", 10, SECRET),
            finding(KEY_ID_RULE, "a", 30, KEY), // 20 lines after the secret
            finding(SECRET_RULE, "a", 50, SECRET2), // 20 lines after the key
        ];
        let p = plan(&fs, &Canaries::builtin());
        assert_eq!(p.checks.len(), 2);
        assert_eq!(p.checks[0], AwsCredentials::new(KEY, SECRET));
        assert_eq!(p.checks[1], AwsCredentials::new(KEY, SECRET2));
        assert_eq!(
            sources(&p, 1),
            Some(&[Source::Check(0), Source::Check(1)][..])
        );
        assert_eq!(sources(&p, 0), Some(&[Source::Check(0)][..]));
        assert_eq!(sources(&p, 2), Some(&[Source::Check(1)][..]));
    }

    #[test]
    fn secrets_outside_the_window_do_not_pair() {
        let fs = [
            finding(KEY_ID_RULE, "a", 1, KEY),
            finding(SECRET_RULE, "a", 22, SECRET),
        ];
        let p = plan(&fs, &Canaries::builtin());
        assert!(p.checks.is_empty());
        assert_eq!(sources(&p, 0), Some(&[][..]), "key stays Unverified");
        assert_eq!(sources(&p, 1), None, "unpaired secret is left alone");
    }

    #[test]
    fn pairing_stays_within_one_file_and_commit() {
        let fs = [
            finding(KEY_ID_RULE, "a", 1, KEY),
            finding(SECRET_RULE, "b", 2, SECRET),
            in_commit(finding(SECRET_RULE, "a", 2, SECRET), "c1"),
            in_commit(finding(KEY_ID_RULE, "b", 5, KEY), "c1"),
            in_commit(finding(SECRET_RULE, "b", 6, SECRET2), "c2"),
        ];
        let p = plan(&fs, &Canaries::builtin());
        assert!(p.checks.is_empty());
        assert_eq!(p.sources.len(), 2);
        assert_eq!(sources(&p, 0), Some(&[][..]));
        assert_eq!(sources(&p, 3), Some(&[][..]));
    }

    #[test]
    fn same_commit_same_path_pairs() {
        let fs = [
            in_commit(finding(KEY_ID_RULE, "a", 1, KEY), "c1"),
            in_commit(finding(SECRET_RULE, "a", 2, SECRET), "c1"),
        ];
        let p = plan(&fs, &Canaries::builtin());
        assert_eq!(p.checks, [AwsCredentials::new(KEY, SECRET)]);
    }

    #[test]
    fn each_distinct_credential_is_checked_once() {
        let mut fs = Vec::new();
        for i in 0..100 {
            let path = format!("f{}", i % 7);
            fs.push(finding(KEY_ID_RULE, &path, 3 * i, KEY));
            fs.push(finding(SECRET_RULE, &path, 3 * i + 1, SECRET));
        }
        let p = plan(&fs, &Canaries::builtin());
        assert_eq!(p.checks, [AwsCredentials::new(KEY, SECRET)]);
        assert_eq!(p.sources.len(), 200);
        assert!(p.sources.values().all(|s| s == &[Source::Check(0)]));
    }

    #[test]
    fn temporary_keys_take_the_nearest_session_token() {
        let asia = "ASIAY34FZKBOKMUTVV7A";
        let fs = [
            finding(SESSION_TOKEN_RULE, "a", 1, "far-token"),
            finding(KEY_ID_RULE, "a", 40, asia),
            finding(SECRET_RULE, "a", 41, SECRET),
            finding(SESSION_TOKEN_RULE, "a", 43, "near-token"),
            finding(SESSION_TOKEN_RULE, "a", 37, "tied-earlier-token"),
        ];
        let p = plan(&fs, &Canaries::builtin());
        assert_eq!(
            p.checks,
            [AwsCredentials::new(asia, SECRET).with_session_token("tied-earlier-token")]
        );
        assert_eq!(sources(&p, 4), Some(&[Source::Check(0)][..]));
        assert_eq!(sources(&p, 3), None);
        assert_eq!(sources(&p, 0), None);
    }

    #[test]
    fn session_tokens_ignore_the_line_window_but_not_the_file() {
        let asia = "ASIAY34FZKBOKMUTVV7A";
        let fs = [
            finding(KEY_ID_RULE, "a", 500, asia),
            finding(SECRET_RULE, "a", 501, SECRET),
            finding(SESSION_TOKEN_RULE, "a", 1, "tok"),
        ];
        let p = plan(&fs, &Canaries::builtin());
        assert_eq!(p.checks[0].session_token.as_deref(), Some("tok"));
    }

    #[test]
    fn temporary_keys_without_a_token_are_not_checked() {
        let fs = [
            finding(KEY_ID_RULE, "a", 1, "ASIAY34FZKBOKMUTVV7A"),
            finding(SECRET_RULE, "a", 2, SECRET),
            finding(SESSION_TOKEN_RULE, "b", 3, "token-in-another-file"),
        ];
        let p = plan(&fs, &Canaries::builtin());
        assert!(p.checks.is_empty());
        assert_eq!(sources(&p, 0), Some(&[][..]));
    }

    #[test]
    fn long_term_keys_ignore_session_tokens() {
        let fs = [
            finding(KEY_ID_RULE, "a", 1, KEY),
            finding(SECRET_RULE, "a", 2, SECRET),
            finding(SESSION_TOKEN_RULE, "a", 3, "tok"),
        ];
        let p = plan(&fs, &Canaries::builtin());
        assert_eq!(p.checks, [AwsCredentials::new(KEY, SECRET)]);
        assert_eq!(sources(&p, 2), None);
    }

    #[test]
    fn canary_keys_are_never_checked() {
        let canary = key_id_for_account("AKIA", 52310077262);
        let fs = [
            finding(KEY_ID_RULE, "a", 1, &canary),
            finding(SECRET_RULE, "a", 2, SECRET),
            finding(KEY_ID_RULE, "a", 3, KEY),
        ];
        let p = plan(&fs, &Canaries::builtin());
        assert_eq!(p.canary_keys, 1);
        assert_eq!(p.checks, [AwsCredentials::new(KEY, SECRET)]);
        assert_eq!(sources(&p, 0), Some(&[Source::Canary][..]));
        assert_eq!(
            sources(&p, 1),
            Some(&[Source::Canary, Source::Check(0)][..])
        );
    }

    #[test]
    fn other_rules_are_ignored() {
        let fs = [
            finding("github-token", "a", 1, KEY),
            finding(KEY_ID_RULE, "a", 2, KEY),
        ];
        let p = plan(&fs, &Canaries::builtin());
        assert_eq!(p.sources.keys().copied().collect::<Vec<_>>(), [1]);
    }

    fn live(arn: &str) -> Verification {
        Verification::Live {
            account: "123456789012".into(),
            arn: arn.into(),
            user_id: "AIDA".into(),
        }
    }

    fn err(r: &str) -> Verification {
        Verification::Error { reason: r.into() }
    }

    #[test]
    fn verdict_precedence() {
        use Source::Check;
        use Verification::{Expired, Invalid, Unverified};
        let results = [Invalid, live("x"), Expired, err("e1"), Invalid, err("e2")];
        assert_eq!(verdict(&[], &results), Unverified);
        assert_eq!(verdict(&[Check(0)], &results), Invalid);
        assert_eq!(verdict(&[Check(0), Check(4)], &results), Invalid);
        assert_eq!(
            verdict(&[Check(0), Check(1), Check(2)], &results),
            live("x")
        );
        assert_eq!(verdict(&[Check(3), Check(2), Check(0)], &results), Expired);
        assert_eq!(
            verdict(&[Check(0), Check(5), Check(3)], &results),
            err("e2")
        );
        assert_eq!(verdict(&[Source::Canary], &results), Verification::Canary);
        assert_eq!(
            verdict(&[Source::Canary, Check(3)], &results),
            Verification::Canary
        );
        assert_eq!(verdict(&[Source::Canary, Check(1)], &results), live("x"));
    }
}
