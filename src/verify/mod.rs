//! Live verification of credentials (AWS STS GetCallerIdentity).
//!
//! Entry points:
//! - [`annotate_accounts`]: offline only; fills [`Finding::account`] for
//!   every `aws-access-key-id` finding. Safe for every run.
//! - [`verify_findings`]: the same, then pairs key ids with nearby secrets
//!   (see [`pairing`](self#pairing)), checks each distinct credential at
//!   most once with bounded concurrency, and sets
//!   [`Finding::verification`] on every AWS key id finding and on every
//!   secret and session token finding that paired with one (others are left
//!   as they were).
//!
//! Invariants:
//! - A canary key ([`Canaries`]) is never sent anywhere.
//! - Only findings of the three AWS rules are touched.
//! - No secret or session token is logged or put in an error string; only
//!   key ids and the endpoint may appear.
//!
//! # Pairing
//! Findings pair within one file or blob (same path and commit). A key id
//! pairs with every secret within [`PAIR_WINDOW_LINES`] lines, before or
//! after it; an `ASIA…` key also takes the nearest session token in the same
//! file (without one it stays `Unverified`, since STS rejects temporary keys
//! without their token). A key id is `Live` if any candidate secret is live,
//! else `Expired` if any says expired, else `Error` if any check failed,
//! `Invalid` only if every candidate was rejected, and `Unverified` if it had
//! no candidate. Secrets and tokens get the same verdict, combined over all
//! key ids they paired with.

mod account;
mod canary;
mod pairing;
mod response;
mod sign;
mod sts;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::thread;

pub use account::aws_account_id;
pub use canary::{Canaries, InvalidAccountId};
pub use pairing::{
    paired_secrets, KEY_ID_RULE, PAIR_WINDOW_LINES, SECRET_RULE, SESSION_TOKEN_RULE,
};
pub use sign::{signed_form_post, AwsCredentials, SignError, FORM_CONTENT_TYPE};
pub use sts::{StsClient, StsConfig, StsConfigError, GET_CALLER_IDENTITY};

use crate::{Finding, Verification};

/// Counts from one [`verify_findings`] run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifySummary {
    /// Distinct (key id, secret, token) credentials looked up; each costs at
    /// most one check per client (later lookups hit the client's cache).
    pub credentials_checked: usize,
    /// Key id findings recognised as canaries (not checked).
    pub canary_keys: usize,
}

/// Sets [`Finding::account`] on every `aws-access-key-id` finding from the
/// key id alone (no network). Keys that encode no account get `None`.
pub fn annotate_accounts(findings: &mut [Finding]) {
    for f in findings.iter_mut().filter(|f| f.rule == KEY_ID_RULE) {
        f.account = aws_account_id(&f.secret);
    }
}

/// Offline facts only: the account of every key id, and `Canary` for keys
/// of known canary-token accounts. Sends nothing anywhere.
pub fn mark_offline(findings: &mut [Finding], canaries: &Canaries) {
    annotate_accounts(findings);
    for f in findings.iter_mut().filter(|f| f.rule == KEY_ID_RULE) {
        if canaries.is_canary_key(&f.secret) {
            f.verification = Some(Verification::Canary);
        }
    }
}

/// Annotates accounts, then verifies every AWS credential in `findings`
/// against STS through `client` and records the verdicts (see the module
/// docs). Blocks until all checks are done; at most
/// `client.config().concurrency` run at once.
pub fn verify_findings(
    findings: &mut [Finding],
    client: &StsClient,
    canaries: &Canaries,
) -> VerifySummary {
    annotate_accounts(findings);
    let plan = pairing::plan(findings, canaries);
    let results = run_checks(client, &plan.checks);
    for (&i, sources) in &plan.sources {
        findings[i].verification = Some(pairing::verdict(sources, &results));
    }
    VerifySummary {
        credentials_checked: plan.checks.len(),
        canary_keys: plan.canary_keys,
    }
}

/// Checks every credential once, on at most `concurrency` threads; results
/// are in the order of `checks`.
fn run_checks(client: &StsClient, checks: &[AwsCredentials]) -> Vec<Verification> {
    let workers = client.config().concurrency.min(checks.len());
    let results: Vec<OnceLock<Verification>> = checks.iter().map(|_| OnceLock::new()).collect();
    let next = AtomicUsize::new(0);
    thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(creds) = checks.get(i) else { break };
                let _ = results[i].set(client.check_cached(creds));
            });
        }
    });
    results
        .into_iter()
        .map(|r| r.into_inner().expect("every check ran"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::account::tests::key_id_for_account;
    use super::pairing::tests::finding;
    use super::*;

    /// A client whose endpoint refuses connections: any request it made would
    /// turn into an `Error`, so tests can see that none was made.
    fn unreachable_client() -> StsClient {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        StsClient::new(StsConfig {
            endpoint: format!("http://127.0.0.1:{port}/"),
            timeout: std::time::Duration::from_secs(1),
            max_attempts: 1,
            ..StsConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn accounts_are_annotated_offline() {
        let mut fs = vec![
            finding(KEY_ID_RULE, "a", 1, "ASIAY34FZKBOKMUTVV7A"),
            finding(KEY_ID_RULE, "a", 2, "AKIAIOSFODNN7EXAMPLE"),
            finding(SECRET_RULE, "a", 3, "ASIAY34FZKBOKMUTVV7A"),
        ];
        annotate_accounts(&mut fs);
        assert_eq!(fs[0].account.as_deref(), Some("609629065308"));
        assert_eq!(fs[1].account, None);
        assert_eq!(fs[2].account, None, "only key id findings get an account");
        assert!(fs.iter().all(|f| f.verification.is_none()));
    }

    #[test]
    fn canaries_and_unpaired_keys_need_no_request() {
        let canary = key_id_for_account("AKIA", 717712589309);
        let mut fs = vec![
            finding(KEY_ID_RULE, "a", 1, &canary),
            finding(
                SECRET_RULE,
                "a",
                2,
                "wkEJ3PEVVIPcP4Y7p4tD14z4gzM+jppZxO4z7Kdc",
            ),
            finding(KEY_ID_RULE, "b", 1, "AKIAY34FZKBOKMUTVV7A"),
            finding(
                SECRET_RULE,
                "c",
                1,
                "hgovC9JPna2EFygOgeda9/neeMyJTVQmey7WuAP1",
            ),
            finding("github-token", "a", 1, "ghp_x"),
        ];
        let summary = verify_findings(&mut fs, &unreachable_client(), &Canaries::builtin());
        assert_eq!(
            summary,
            VerifySummary {
                credentials_checked: 0,
                canary_keys: 1
            }
        );
        assert_eq!(fs[0].verification, Some(Verification::Canary));
        assert_eq!(fs[0].account.as_deref(), Some("717712589309"));
        assert_eq!(fs[1].verification, Some(Verification::Canary));
        assert_eq!(fs[2].verification, Some(Verification::Unverified));
        assert_eq!(fs[3].verification, None);
        assert_eq!(fs[4].verification, None);
    }

    #[test]
    fn extra_canaries_are_honoured() {
        let key = key_id_for_account("AKIA", 123456789012);
        let mut fs = vec![
            finding(KEY_ID_RULE, "a", 1, &key),
            finding(
                SECRET_RULE,
                "a",
                2,
                "wkEJ3PEVVIPcP4Y7p4tD14z4gzM+jppZxO4z7Kdc",
            ),
        ];
        let canaries = Canaries::with_extra(["123456789012"]).unwrap();
        verify_findings(&mut fs, &unreachable_client(), &canaries);
        assert_eq!(fs[0].verification, Some(Verification::Canary));
    }

    #[test]
    fn failed_checks_are_errors_on_both_lines() {
        let mut fs = vec![
            finding(KEY_ID_RULE, "a", 1, "AKIAY34FZKBOKMUTVV7A"),
            finding(
                SECRET_RULE,
                "a",
                2,
                "wkEJ3PEVVIPcP4Y7p4tD14z4gzM+jppZxO4z7Kdc",
            ),
        ];
        let summary = verify_findings(&mut fs, &unreachable_client(), &Canaries::builtin());
        assert_eq!(summary.credentials_checked, 1);
        for f in &fs {
            match &f.verification {
                Some(Verification::Error { reason }) => {
                    assert!(!reason.contains("wkEJ3PEV"), "{reason}")
                }
                other => panic!("expected an error, got {other:?}"),
            }
        }
    }
}
