//! Live AWS key verification through the library API, against a local moto
//! server (an AWS emulator) and small fake servers on 127.0.0.1.
//!
//! The moto tests need `MOTO_ENDPOINT`, `MOTO_ADMIN_AKID` and
//! `MOTO_ADMIN_SECRET` (exported by `moto_start` in `.ci/moto.sh`: moto on
//! 127.0.0.1 with an admin user allowed everything, auth on). Without
//! `MOTO_ENDPOINT` they print a note and pass, unless `CI=true`, where they
//! fail. The other tests always run. No traffic leaves 127.0.0.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use keygate::verify::{
    verify_findings, AwsCredentials, Canaries, StsClient, StsConfig, KEY_ID_RULE, SECRET_RULE,
    SESSION_TOKEN_RULE,
};
use keygate::{CommitInfo, Finding, Verification};

mod common;
use common::moto::*;

fn finding(rule: &str, path: &str, line: usize, secret: &str) -> Finding {
    Finding {
        line,
        ..Finding::new(rule, path, path, secret.as_bytes())
    }
}

fn assert_error(v: &Verification, secret: &str) {
    match v {
        Verification::Error { reason } => {
            assert!(!reason.contains(secret), "secret leaked into {reason:?}")
        }
        other => panic!("expected Error, got {other:?}"),
    }
}

// ---- a counting forwarder --------------------------------------------------

/// An HTTP forwarder on 127.0.0.1 that counts the requests it receives and
/// passes each to `upstream` on a fresh connection (or answers 503 when
/// there is none). Bytes pass unchanged except for `Connection: close`, which
/// is not a signed header.
struct CountingProxy {
    endpoint: String,
    requests: Arc<AtomicUsize>,
}

impl CountingProxy {
    fn start(upstream: Option<SocketAddr>) -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}/", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&requests);
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let counter = Arc::clone(&counter);
                thread::spawn(move || forward(client, upstream, &counter));
            }
        });
        CountingProxy { endpoint, requests }
    }

    fn count(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

fn forward(client: TcpStream, upstream: Option<SocketAddr>, counter: &AtomicUsize) {
    let mut reader = BufReader::new(client);
    let mut head = String::new();
    let mut len = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return; // closed before a full request
        }
        if line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
        if !lower.starts_with("connection:") {
            head.push_str(&line);
        }
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut body = vec![0; len];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    counter.fetch_add(1, Ordering::SeqCst);
    let mut client = reader.into_inner();
    let Some(upstream) = upstream else {
        let _ = client.write_all(
            b"HTTP/1.1 503 No Upstream\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        return;
    };
    let mut server = TcpStream::connect(upstream).unwrap();
    server.write_all(head.as_bytes()).unwrap();
    server.write_all(&body).unwrap();
    let mut response = Vec::new();
    server.read_to_end(&mut response).unwrap();
    let _ = client.write_all(&response);
}

fn socket_addr(endpoint: &str) -> SocketAddr {
    let hostport = endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .replace("localhost", "127.0.0.1");
    hostport.parse().unwrap()
}

// ---- tests against moto ----------------------------------------------------

#[test]
fn iam_user_key_is_live_then_invalid_once_deleted() {
    let Some(moto) = moto() else { return };
    let user = unique("kg-live");
    let key = moto.user_with_key(&user);
    let client = moto.client();

    match client.check(&key) {
        Verification::Live {
            account,
            arn,
            user_id,
        } => {
            assert_eq!(account, ACCOUNT);
            assert_eq!(arn, format!("arn:aws:iam::{ACCOUNT}:user/{user}"));
            assert!(!user_id.is_empty());
        }
        other => panic!("expected Live, got {other:?}"),
    }

    moto.iam(
        "DeleteAccessKey",
        &[("UserName", &user), ("AccessKeyId", &key.key_id)],
    );
    assert_eq!(client.check(&key), Verification::Invalid);
}

#[test]
fn right_key_id_with_wrong_secret_is_invalid() {
    let Some(moto) = moto() else { return };
    let key = moto.user_with_key(&unique("kg-wrong"));
    let wrong = AwsCredentials::new(key.key_id.clone(), "A".repeat(40));
    assert_eq!(moto.client().check(&wrong), Verification::Invalid);
}

#[test]
fn temporary_credentials_are_live_only_with_their_token() {
    let Some(moto) = moto() else { return };
    let (creds, arn) = moto.temporary_credentials();
    assert!(creds.key_id.starts_with("ASIA"), "{}", creds.key_id);
    let client = moto.client();
    match client.check(&creds) {
        Verification::Live {
            account, arn: got, ..
        } => {
            assert_eq!(account, ACCOUNT);
            assert_eq!(got, arn);
        }
        other => panic!("expected Live, got {other:?}"),
    }
    let without_token = AwsCredentials::new(creds.key_id.clone(), creds.secret.clone());
    assert_eq!(client.check(&without_token), Verification::Invalid);
}

#[test]
fn findings_get_verdicts_from_their_paired_secrets() {
    let Some(moto) = moto() else { return };
    let user = unique("kg-pair");
    let key = moto.user_with_key(&user);
    let (temp, _) = moto.temporary_credentials();
    let token = temp.session_token.clone().unwrap();
    let wrong = "B".repeat(40);
    let mut fs = vec![
        // config: a key id between a wrong and the right secret
        finding(SECRET_RULE, "config", 1, &wrong),
        finding(KEY_ID_RULE, "config", 2, &key.key_id),
        finding(SECRET_RULE, "config", 3, &key.secret),
        // the same key id with only the wrong secret
        finding(KEY_ID_RULE, "old.env", 1, &key.key_id),
        finding(SECRET_RULE, "old.env", 2, &wrong),
        // temporary credentials with their token
        finding(KEY_ID_RULE, "session.env", 1, &temp.key_id),
        finding(SECRET_RULE, "session.env", 2, &temp.secret),
        finding(SESSION_TOKEN_RULE, "session.env", 3, &token),
        // a key id with no secret nearby
        finding(KEY_ID_RULE, "lonely", 1, &key.key_id),
    ];
    let summary = verify_findings(&mut fs, &moto.client(), &Canaries::builtin());
    assert_eq!(summary.credentials_checked, 3);

    let live_arn = |i: usize| match &fs[i].verification {
        Some(Verification::Live { arn, account, .. }) => {
            assert_eq!(account, ACCOUNT);
            arn.clone()
        }
        other => panic!("finding {i}: expected Live, got {other:?}"),
    };
    let user_arn = format!("arn:aws:iam::{ACCOUNT}:user/{user}");
    assert_eq!(
        live_arn(1),
        user_arn,
        "any live candidate makes the key live"
    );
    assert_eq!(live_arn(2), user_arn);
    assert_eq!(fs[0].verification, Some(Verification::Invalid));
    assert_eq!(fs[3].verification, Some(Verification::Invalid));
    assert_eq!(fs[4].verification, Some(Verification::Invalid));
    for i in 5..8 {
        assert!(live_arn(i).contains(":assumed-role/"));
    }
    assert_eq!(fs[8].verification, Some(Verification::Unverified));
    assert!(fs[1].account.is_some(), "account is decoded offline");
}

#[test]
fn two_hundred_findings_of_one_credential_make_one_request() {
    let Some(moto) = moto() else { return };
    let key = moto.user_with_key(&unique("kg-dedup"));
    let proxy = CountingProxy::start(Some(socket_addr(&moto.endpoint)));
    let commit = Arc::new(CommitInfo {
        commit: "0123456789abcdef0123456789abcdef01234567".into(),
        author: "Alice Example".into(),
        email: "alice@example.org".into(),
        date: "2024-01-02T03:04:05Z".into(),
        summary: "add config".into(),
    });
    let mut fs = Vec::new();
    for i in 0..100 {
        let path = format!("dir{}/config{i}.env", i % 5);
        let mut k = finding(KEY_ID_RULE, &path, 1, &key.key_id);
        let mut s = finding(SECRET_RULE, &path, 2, &key.secret);
        if i % 2 == 0 {
            k.commit = Some(Arc::clone(&commit));
            s.commit = Some(Arc::clone(&commit));
        }
        fs.push(k);
        fs.push(s);
    }
    let summary = verify_findings(&mut fs, &client_for(&proxy.endpoint), &Canaries::builtin());
    assert_eq!(summary.credentials_checked, 1);
    assert_eq!(proxy.count(), 1, "exactly one STS request for 200 findings");
    for f in &fs {
        assert!(
            matches!(&f.verification, Some(Verification::Live { account, .. }) if account == ACCOUNT),
            "{}:{} {:?}",
            f.path,
            f.line,
            f.verification
        );
    }
}

// ---- tests without moto ----------------------------------------------------

#[test]
fn canary_keys_are_never_sent() {
    // 171436882533 is a canarytokens.org account; this key id encodes it.
    let canary_key = "AKIASP2TPHJSQAAAAAAA";
    assert_eq!(
        keygate::verify::aws_account_id(canary_key).as_deref(),
        Some("171436882533")
    );
    let proxy = CountingProxy::start(None);
    let secret = "wkEJ3PEVVIPcP4Y7p4tD14z4gzM+jppZxO4z7Kdc";
    let mut fs = vec![
        finding(KEY_ID_RULE, "a.env", 1, canary_key),
        finding(SECRET_RULE, "a.env", 2, secret),
        finding(KEY_ID_RULE, "b.env", 7, canary_key),
        finding(SECRET_RULE, "b.env", 3, secret),
    ];
    let summary = verify_findings(&mut fs, &client_for(&proxy.endpoint), &Canaries::builtin());
    assert_eq!(summary.credentials_checked, 0);
    assert_eq!(summary.canary_keys, 2);
    assert_eq!(proxy.count(), 0);
    assert!(fs
        .iter()
        .all(|f| f.verification == Some(Verification::Canary)));
    assert_eq!(fs[0].account.as_deref(), Some("171436882533"));
}

#[test]
fn refused_connections_are_a_quick_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = StsClient::new(StsConfig {
        endpoint: format!("http://127.0.0.1:{port}/"),
        ..StsConfig::default()
    })
    .unwrap();
    let secret = "wkEJ3PEVVIPcP4Y7p4tD14z4gzM+jppZxO4z7Kdc";
    let start = Instant::now();
    let v = client.check(&AwsCredentials::new("AKIAY34FZKBOKMUTVV7A", secret));
    let elapsed = start.elapsed();
    assert_error(&v, secret);
    // Three attempts with the default backoff (0.5 s, then 1 s, plus jitter).
    assert!(elapsed < Duration::from_secs(4), "took {elapsed:?}");
}

#[test]
fn a_silent_endpoint_times_out_into_an_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}/", listener.local_addr().unwrap());
    let accepted = Arc::new(Mutex::new(Vec::new()));
    let held = Arc::clone(&accepted);
    thread::spawn(move || {
        for conn in listener.incoming() {
            // Keep every connection open and never answer.
            held.lock().unwrap().push(conn);
        }
    });
    let timeout = Duration::from_secs(1);
    let client = StsClient::new(StsConfig {
        endpoint,
        timeout,
        max_attempts: 2,
        backoff: Duration::from_millis(100),
        ..StsConfig::default()
    })
    .unwrap();
    let secret = "wkEJ3PEVVIPcP4Y7p4tD14z4gzM+jppZxO4z7Kdc";
    let start = Instant::now();
    let v = client.check(&AwsCredentials::new("AKIAY34FZKBOKMUTVV7A", secret));
    let elapsed = start.elapsed();
    assert_error(&v, secret);
    let Verification::Error { reason } = &v else {
        unreachable!()
    };
    assert!(reason.contains("timed out"), "{reason}");
    // Each attempt is cut off at `timeout`; two attempts and one short pause.
    assert!(elapsed >= 2 * timeout, "took {elapsed:?}");
    assert!(
        elapsed < 2 * timeout + Duration::from_millis(1500),
        "took {elapsed:?}"
    );
    assert_eq!(accepted.lock().unwrap().len(), 2);
}

#[test]
fn checks_run_with_bounded_concurrency() {
    // A fake STS that holds each request 150 ms and records how many were
    // in flight at once.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}/", listener.local_addr().unwrap());
    let active = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (a, p) = (Arc::clone(&active), Arc::clone(&peak));
    thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let (a, p) = (Arc::clone(&a), Arc::clone(&p));
            thread::spawn(move || {
                let now = a.fetch_add(1, Ordering::SeqCst) + 1;
                p.fetch_max(now, Ordering::SeqCst);
                let mut reader = BufReader::new(conn);
                let mut len = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; len];
                let _ = reader.read_exact(&mut body);
                thread::sleep(Duration::from_millis(150));
                let xml = "<GetCallerIdentityResponse><GetCallerIdentityResult><UserId>AIDAX</UserId><Account>123456789012</Account><Arn>arn:aws:iam::123456789012:user/x</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>";
                a.fetch_sub(1, Ordering::SeqCst);
                let _ = reader.into_inner().write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
                        xml.len()
                    )
                    .as_bytes(),
                );
            });
        }
    });
    let client = StsClient::new(StsConfig {
        endpoint,
        concurrency: 3,
        ..StsConfig::default()
    })
    .unwrap();
    let mut fs = Vec::new();
    for i in 0..12 {
        let path = format!("f{i}");
        fs.push(finding(KEY_ID_RULE, &path, 1, "AKIAY34FZKBOKMUTVV7A"));
        fs.push(finding(SECRET_RULE, &path, 2, &format!("{i:0>40}")));
    }
    let summary = verify_findings(&mut fs, &client, &Canaries::builtin());
    assert_eq!(summary.credentials_checked, 12);
    assert!(fs
        .iter()
        .all(|f| matches!(f.verification, Some(Verification::Live { .. }))));
    let peak = peak.load(Ordering::SeqCst);
    assert!((2..=3).contains(&peak), "peak concurrency {peak}");
}
