//! The live check: one SigV4-signed STS `GetCallerIdentity` call per
//! credential, with bounded retries.
//!
//! Invariants:
//! - a credential is reported `Invalid` only when STS rejected it
//!   (`InvalidClientTokenId`, or `SignatureDoesNotMatch` twice in a row);
//!   throttling, 5xx, timeouts and connection failures end in `Error`;
//! - at most `max_attempts` transient failures plus one signature retry, so
//!   a check takes at most `(max_attempts + 1) * timeout` plus backoff;
//! - no reason string ever contains a secret or session token.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use super::response::{classify, Outcome};
use super::sign::{signed_form_post, AwsCredentials};
use crate::Verification;

/// The form body of a `GetCallerIdentity` call.
pub const GET_CALLER_IDENTITY: &str = "Action=GetCallerIdentity&Version=2011-06-15";

/// Largest response body read (STS answers are well under 2 KiB).
const MAX_BODY: u64 = 1 << 20;

/// Longest pause between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// How to reach STS and how hard to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsConfig {
    /// `http(s)://host[:port][/path]`; default `https://sts.amazonaws.com/`.
    pub endpoint: String,
    /// Signing region; default `us-east-1`.
    pub region: String,
    /// Whole-request timeout (connect, send, receive); default 5 s.
    pub timeout: Duration,
    /// Most checks in flight at once; default 8.
    pub concurrency: usize,
    /// Attempts per credential when failures are transient; default 3.
    pub max_attempts: u32,
    /// Pause before the first retry; doubles per retry (with jitter);
    /// default 500 ms.
    pub backoff: Duration,
}

impl Default for StsConfig {
    fn default() -> Self {
        StsConfig {
            endpoint: "https://sts.amazonaws.com/".to_string(),
            region: "us-east-1".to_string(),
            timeout: Duration::from_secs(5),
            concurrency: 8,
            max_attempts: 3,
            backoff: Duration::from_millis(500),
        }
    }
}

/// A rejected [`StsConfig`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StsConfigError {
    /// The endpoint is not an `http://` or `https://` URL with a host.
    Endpoint(String),
    /// The region is empty or not a plain identifier.
    Region(String),
    /// `timeout`, `concurrency` or `max_attempts` is zero.
    Zero(&'static str),
}

impl fmt::Display for StsConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StsConfigError::Endpoint(e) => {
                write!(f, "invalid STS endpoint {e:?}: expected an http(s) URL")
            }
            StsConfigError::Region(r) => write!(f, "invalid STS region {r:?}"),
            StsConfigError::Zero(what) => write!(f, "STS {what} must be greater than zero"),
        }
    }
}

impl std::error::Error for StsConfigError {}

/// A client for STS `GetCallerIdentity` checks. Cheap to share between
/// threads (`&StsClient` is `Sync`).
pub struct StsClient {
    config: StsConfig,
    agent: ureq::Agent,
    /// Verdicts of this client's cached checks, keyed by a digest of the
    /// credential (the cache never holds a secret).
    cache: Mutex<HashMap<[u8; 32], Verification>>,
}

impl fmt::Debug for StsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StsClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl StsClient {
    /// Validates `config` and builds the HTTP agent. No request is made.
    pub fn new(config: StsConfig) -> Result<Self, StsConfigError> {
        let uri: http::Uri = config
            .endpoint
            .parse()
            .map_err(|_| StsConfigError::Endpoint(config.endpoint.clone()))?;
        let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
        if !scheme_ok || uri.host().is_none_or(str::is_empty) {
            return Err(StsConfigError::Endpoint(config.endpoint.clone()));
        }
        let region_ok = !config.region.is_empty()
            && config
                .region
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !region_ok {
            return Err(StsConfigError::Region(config.region.clone()));
        }
        if config.timeout.is_zero() {
            return Err(StsConfigError::Zero("timeout"));
        }
        if config.concurrency == 0 {
            return Err(StsConfigError::Zero("concurrency"));
        }
        if config.max_attempts == 0 {
            return Err(StsConfigError::Zero("max_attempts"));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(config.timeout))
            .max_redirects(0)
            .user_agent(concat!("keygate/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(StsClient {
            config,
            agent,
            cache: Mutex::new(HashMap::new()),
        })
    }

    pub fn config(&self) -> &StsConfig {
        &self.config
    }

    /// Checks `creds` against STS, retrying as described in the module docs.
    /// Never returns `Unverified` or `Canary`.
    pub fn check(&self, creds: &AwsCredentials) -> Verification {
        let mut signature_retry_left = true;
        let mut transient_failures = 0;
        loop {
            match self.attempt(creds) {
                Outcome::Final(v) => return v,
                Outcome::SignatureMismatch if signature_retry_left => {
                    signature_retry_left = false;
                    thread::sleep(self.config.backoff);
                }
                Outcome::SignatureMismatch => return Verification::Invalid,
                Outcome::Transient(reason) => {
                    transient_failures += 1;
                    if transient_failures >= self.config.max_attempts {
                        let reason = if transient_failures > 1 {
                            format!("{reason} (gave up after {transient_failures} attempts)")
                        } else {
                            reason
                        };
                        return Verification::Error { reason };
                    }
                    thread::sleep(backoff_delay(self.config.backoff, transient_failures));
                }
            }
        }
    }

    /// Like [`StsClient::check`], but each distinct credential is checked at
    /// most once per client; later calls return the first verdict.
    pub fn check_cached(&self, creds: &AwsCredentials) -> Verification {
        let key = cache_key(creds);
        if let Some(v) = self.lock_cache().get(&key) {
            return v.clone();
        }
        let v = self.check(creds);
        self.lock_cache().entry(key).or_insert(v).clone()
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Verification>> {
        // The map is always consistent, so a poisoned lock is still usable.
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One signed request and its classification.
    fn attempt(&self, creds: &AwsCredentials) -> Outcome {
        let request = match signed_form_post(
            &self.config.endpoint,
            &self.config.region,
            "sts",
            creds,
            GET_CALLER_IDENTITY,
        ) {
            Ok(r) => r,
            Err(e) => {
                return Outcome::Final(Verification::Error {
                    reason: e.to_string(),
                })
            }
        };
        match self.agent.run(request) {
            Ok(mut response) => {
                let status = response.status().as_u16();
                match response
                    .body_mut()
                    .with_config()
                    .limit(MAX_BODY)
                    .read_to_string()
                {
                    Ok(body) => classify(status, &body),
                    Err(e) => self.transport_failure(&e),
                }
            }
            Err(e) => self.transport_failure(&e),
        }
    }

    fn transport_failure(&self, e: &ureq::Error) -> Outcome {
        use ureq::Error as E;
        let endpoint = &self.config.endpoint;
        match e {
            E::Timeout(_) => Outcome::Transient(format!(
                "STS request to {endpoint} timed out after {:?}",
                self.config.timeout
            )),
            E::Io(io) => Outcome::Transient(format!("cannot reach STS at {endpoint}: {io}")),
            E::ConnectionFailed => {
                Outcome::Transient(format!("cannot connect to STS at {endpoint}"))
            }
            E::HostNotFound => Outcome::Transient(format!("cannot resolve STS host of {endpoint}")),
            E::Protocol(p) => Outcome::Transient(format!("bad HTTP exchange with {endpoint}: {p}")),
            E::BodyExceedsLimit(_) => Outcome::Final(Verification::Error {
                reason: format!("STS response from {endpoint} is too large"),
            }),
            other => Outcome::Final(Verification::Error {
                reason: format!("STS request to {endpoint} failed: {other}"),
            }),
        }
    }
}

/// Pause before retry number `n` (1-based): `base * 2^(n-1)` plus up to 50%
/// jitter, capped at [`MAX_BACKOFF`].
fn backoff_delay(base: Duration, n: u32) -> Duration {
    let exp = base.saturating_mul(1 << (n - 1).min(16));
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let jitter = exp.mul_f64(f64::from(nanos % 1000) / 2000.0);
    (exp + jitter).min(MAX_BACKOFF)
}

/// Digest identifying a credential in the cache (length-prefixed parts, so
/// no two distinct credentials share a key).
fn cache_key(creds: &AwsCredentials) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"keygate-sts-cache-v1");
    let token = creds.session_token.as_deref();
    let parts = [
        Some(creds.key_id.as_str()),
        Some(creds.secret.as_str()),
        token,
    ];
    for part in parts {
        match part {
            Some(p) => {
                h.update(b"S");
                h.update((p.len() as u64).to_be_bytes());
                h.update(p.as_bytes());
            }
            None => h.update(b"N"),
        }
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    const KEY: &str = "AKIAY34FZKBOKMUTVV7A";
    const SECRET: &str = "wkEJ3PEVVIPcP4Y7p4tD14z4gzM+jppZxO4z7Kdc";

    /// A request as the fake server saw it.
    #[derive(Debug, Default, Clone)]
    struct Seen {
        head: String,
        body: String,
    }

    /// A one-response-per-connection HTTP server on 127.0.0.1 that answers
    /// with `replies` in turn (the last one repeats) and records requests.
    struct FakeSts {
        endpoint: String,
        seen: Arc<Mutex<Vec<Seen>>>,
    }

    impl FakeSts {
        fn start(replies: Vec<(u16, String)>) -> FakeSts {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let endpoint = format!("http://{}/", listener.local_addr().unwrap());
            let seen = Arc::new(Mutex::new(Vec::new()));
            let log = Arc::clone(&seen);
            let served = AtomicUsize::new(0);
            thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { return };
                    let mut reader = BufReader::new(stream);
                    let mut req = Seen::default();
                    let mut len = 0;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            break;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap();
                        }
                        req.head.push_str(&line);
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0; len];
                    reader.read_exact(&mut body).unwrap();
                    req.body = String::from_utf8(body).unwrap();
                    log.lock().unwrap().push(req);
                    let n = served.fetch_add(1, Ordering::SeqCst);
                    let (status, text) = &replies[n.min(replies.len() - 1)];
                    let reply = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                        text.len()
                    );
                    let _ = reader.get_mut().write_all(reply.as_bytes());
                }
            });
            FakeSts { endpoint, seen }
        }

        fn client(&self) -> StsClient {
            StsClient::new(StsConfig {
                endpoint: self.endpoint.clone(),
                timeout: Duration::from_secs(5),
                backoff: Duration::from_millis(10),
                ..StsConfig::default()
            })
            .unwrap()
        }

        fn requests(&self) -> Vec<Seen> {
            self.seen.lock().unwrap().clone()
        }
    }

    fn ok() -> (u16, String) {
        (
            200,
            "<GetCallerIdentityResponse><GetCallerIdentityResult><UserId>AIDAX</UserId>\
             <Account>123456789012</Account><Arn>arn:aws:iam::123456789012:user/bob</Arn>\
             </GetCallerIdentityResult></GetCallerIdentityResponse>"
                .to_string(),
        )
    }

    fn fault(status: u16, code: &str) -> (u16, String) {
        (
            status,
            format!("<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>m</Message></Error></ErrorResponse>"),
        )
    }

    fn bob() -> Verification {
        Verification::Live {
            account: "123456789012".into(),
            arn: "arn:aws:iam::123456789012:user/bob".into(),
            user_id: "AIDAX".into(),
        }
    }

    #[test]
    fn sends_a_signed_get_caller_identity() {
        let sts = FakeSts::start(vec![ok()]);
        let creds = AwsCredentials::new(KEY, SECRET).with_session_token("TOKEN+/=");
        assert_eq!(sts.client().check(&creds), bob());
        let seen = sts.requests();
        assert_eq!(seen.len(), 1);
        let head = seen[0].head.to_ascii_lowercase();
        assert!(head.starts_with("post / http/1.1\r\n"), "{head}");
        assert!(head.contains("content-type: application/x-www-form-urlencoded; charset=utf-8\r\n"));
        assert!(head.contains("x-amz-security-token: token+/=\r\n"));
        assert!(head.contains("authorization: aws4-hmac-sha256 credential=akiay34fzkbokmutvv7a/"));
        assert!(head.contains("/us-east-1/sts/aws4_request"));
        assert!(!seen[0].head.contains(SECRET));
        assert_eq!(seen[0].body, GET_CALLER_IDENTITY);
    }

    #[test]
    fn throttling_is_retried_until_it_succeeds() {
        let sts = FakeSts::start(vec![
            fault(400, "Throttling"),
            fault(503, "ServiceUnavailable"),
            ok(),
        ]);
        assert_eq!(sts.client().check(&AwsCredentials::new(KEY, SECRET)), bob());
        assert_eq!(sts.requests().len(), 3);
    }

    #[test]
    fn persistent_server_errors_end_in_error_never_invalid() {
        let sts = FakeSts::start(vec![(500, "oops".to_string())]);
        let v = sts.client().check(&AwsCredentials::new(KEY, SECRET));
        assert!(
            matches!(&v, Verification::Error { reason } if reason.contains("HTTP 500") && reason.contains("3 attempts") && !reason.contains(SECRET)),
            "{v:?}"
        );
        assert_eq!(sts.requests().len(), 3);
    }

    #[test]
    fn signature_mismatch_is_retried_once_then_invalid() {
        let sts = FakeSts::start(vec![fault(403, "SignatureDoesNotMatch")]);
        let v = sts.client().check(&AwsCredentials::new(KEY, SECRET));
        assert_eq!(v, Verification::Invalid);
        assert_eq!(sts.requests().len(), 2);

        let sts = FakeSts::start(vec![fault(403, "SignatureDoesNotMatch"), ok()]);
        assert_eq!(sts.client().check(&AwsCredentials::new(KEY, SECRET)), bob());
        assert_eq!(sts.requests().len(), 2);
    }

    #[test]
    fn rejections_and_expiry_are_not_retried() {
        let sts = FakeSts::start(vec![fault(403, "InvalidClientTokenId")]);
        let v = sts.client().check(&AwsCredentials::new(KEY, SECRET));
        assert_eq!(v, Verification::Invalid);
        assert_eq!(sts.requests().len(), 1);

        let sts = FakeSts::start(vec![fault(403, "ExpiredToken")]);
        let creds = AwsCredentials::new(KEY, SECRET).with_session_token("t");
        assert_eq!(sts.client().check(&creds), Verification::Expired);
        assert_eq!(sts.requests().len(), 1);
    }

    #[test]
    fn cached_checks_send_one_request_per_credential() {
        let sts = FakeSts::start(vec![ok()]);
        let client = sts.client();
        let a = AwsCredentials::new(KEY, SECRET);
        assert_eq!(client.check_cached(&a), bob());
        assert_eq!(client.check_cached(&a.clone()), bob());
        assert_eq!(sts.requests().len(), 1);
        client.check_cached(&AwsCredentials::new(KEY, "other"));
        assert_eq!(sts.requests().len(), 2);
    }

    #[test]
    fn defaults_match_the_documented_values() {
        let c = StsConfig::default();
        assert_eq!(c.endpoint, "https://sts.amazonaws.com/");
        assert_eq!(c.region, "us-east-1");
        assert_eq!(c.timeout, Duration::from_secs(5));
        assert_eq!(c.concurrency, 8);
        assert!(StsClient::new(c).is_ok());
    }

    #[test]
    fn bad_configs_are_rejected() {
        let with = |f: fn(&mut StsConfig)| {
            let mut c = StsConfig::default();
            f(&mut c);
            StsClient::new(c).unwrap_err()
        };
        assert!(matches!(
            with(|c| c.endpoint = "sts.amazonaws.com".into()),
            StsConfigError::Endpoint(_)
        ));
        assert!(matches!(
            with(|c| c.endpoint = "ftp://x/".into()),
            StsConfigError::Endpoint(_)
        ));
        assert!(matches!(
            with(|c| c.endpoint = "".into()),
            StsConfigError::Endpoint(_)
        ));
        assert!(matches!(
            with(|c| c.region = "".into()),
            StsConfigError::Region(_)
        ));
        assert!(matches!(
            with(|c| c.region = "us east".into()),
            StsConfigError::Region(_)
        ));
        assert_eq!(
            with(|c| c.timeout = Duration::ZERO),
            StsConfigError::Zero("timeout")
        );
        assert_eq!(
            with(|c| c.concurrency = 0),
            StsConfigError::Zero("concurrency")
        );
        assert_eq!(
            with(|c| c.max_attempts = 0),
            StsConfigError::Zero("max_attempts")
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_millis(100);
        let d1 = backoff_delay(base, 1);
        let d3 = backoff_delay(base, 3);
        assert!(d1 >= base && d1 <= base * 3 / 2, "{d1:?}");
        assert!(d3 >= base * 4 && d3 <= base * 6, "{d3:?}");
        assert_eq!(backoff_delay(Duration::from_secs(60), 5), MAX_BACKOFF);
    }

    #[test]
    fn cache_key_separates_every_part() {
        let a = AwsCredentials::new("AKIA1", "s");
        assert_eq!(cache_key(&a), cache_key(&a.clone()));
        assert_ne!(cache_key(&a), cache_key(&AwsCredentials::new("AKIA1", "t")));
        assert_ne!(cache_key(&a), cache_key(&AwsCredentials::new("AKIA2", "s")));
        assert_ne!(cache_key(&a), cache_key(&a.clone().with_session_token("")));
        assert_ne!(
            cache_key(&AwsCredentials::new("AKIA1", "s\0x")),
            cache_key(&AwsCredentials::new("AKIA1\0s", "x"))
        );
    }
}
