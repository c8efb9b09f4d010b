//! A running moto server (local AWS emulator) for the STS tests.
//!
//! `moto()` returns it from `MOTO_ENDPOINT`, `MOTO_ADMIN_AKID` and
//! `MOTO_ADMIN_SECRET` (exported by `moto_start` in `.ci/moto.sh`), or
//! `None` after a note when it is not running — but panics under `CI=true`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use keygate::verify::{signed_form_post, AwsCredentials, StsClient, StsConfig};

/// moto's default account.
pub const ACCOUNT: &str = "123456789012";

pub struct Moto {
    pub endpoint: String,
    pub admin: AwsCredentials,
}

/// The running moto server, or `None` (after a note) when there is none and
/// this is not CI.
pub fn moto() -> Option<Moto> {
    let endpoint = std::env::var("MOTO_ENDPOINT").unwrap_or_default();
    if endpoint.is_empty() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "CI=true but MOTO_ENDPOINT is not set: the STS tests need moto \
                 (`source .ci/moto.sh; moto_start` exports MOTO_ENDPOINT, \
                 MOTO_ADMIN_AKID and MOTO_ADMIN_SECRET)"
            );
        }
        eprintln!("note: MOTO_ENDPOINT not set; skipping this moto test (see .ci/moto.sh)");
        return None;
    }
    assert!(
        endpoint.starts_with("http://127.0.0.1:") || endpoint.starts_with("http://localhost:"),
        "MOTO_ENDPOINT must be a local http://127.0.0.1:PORT server, got {endpoint:?}"
    );
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| panic!("MOTO_ENDPOINT is set but {name} is not"))
    };
    Some(Moto {
        endpoint,
        admin: AwsCredentials::new(var("MOTO_ADMIN_AKID"), var("MOTO_ADMIN_SECRET")),
    })
}

/// A name no other test (or earlier run against the same server) uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Percent-encodes a form value: everything but unreserved characters (so
/// never a space or `%20`, which moto's signature check mishandles).
pub fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Text of the first `<tag>` element (test helper; no entity decoding).
pub fn xml_text(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = start + body[start..].find(&format!("</{tag}>"))?;
    Some(body[start..end].to_string())
}

impl Moto {
    /// One signed query-protocol call; panics unless it returns 200.
    pub fn call(
        &self,
        service: &str,
        creds: &AwsCredentials,
        action: &str,
        params: &[(&str, &str)],
    ) -> String {
        let version = if service == "iam" {
            "2010-05-08"
        } else {
            "2011-06-15"
        };
        let mut body = format!("Action={action}&Version={version}");
        for (k, v) in params {
            body.push_str(&format!("&{k}={}", form_encode(v)));
        }
        let request = signed_form_post(&self.endpoint, "us-east-1", service, creds, &body).unwrap();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let mut response = agent.run(request).unwrap();
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap();
        assert_eq!(status, 200, "{service} {action} failed: {text}");
        text
    }

    pub fn iam(&self, action: &str, params: &[(&str, &str)]) -> String {
        self.call("iam", &self.admin, action, params)
    }

    /// A new IAM user (named `user`) and an access key for it.
    pub fn user_with_key(&self, user: &str) -> AwsCredentials {
        self.iam("CreateUser", &[("UserName", user)]);
        let out = self.iam("CreateAccessKey", &[("UserName", user)]);
        AwsCredentials::new(
            xml_text(&out, "AccessKeyId").unwrap(),
            xml_text(&out, "SecretAccessKey").unwrap(),
        )
    }

    /// Temporary (`ASIA…`) credentials from `sts:AssumeRole`, requested by a
    /// new IAM user allowed to assume a new role that trusts it. Returns the
    /// credentials and the assumed-role ARN.
    pub fn temporary_credentials(&self) -> (AwsCredentials, String) {
        let user = unique("kg-assumer");
        let role = unique("kg-role");
        let user_key = self.user_with_key(&user);
        let allow = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::{ACCOUNT}:role/{role}"}}]}}"#
        );
        self.iam(
            "PutUserPolicy",
            &[
                ("UserName", &user),
                ("PolicyName", "assume"),
                ("PolicyDocument", &allow),
            ],
        );
        let trust = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/{user}"}},"Action":"sts:AssumeRole"}}]}}"#
        );
        self.iam(
            "CreateRole",
            &[("RoleName", &role), ("AssumeRolePolicyDocument", &trust)],
        );
        let role_arn = format!("arn:aws:iam::{ACCOUNT}:role/{role}");
        let out = self.call(
            "sts",
            &user_key,
            "AssumeRole",
            &[("RoleArn", &role_arn), ("RoleSessionName", "keygate-test")],
        );
        let creds = AwsCredentials::new(
            xml_text(&out, "AccessKeyId").unwrap(),
            xml_text(&out, "SecretAccessKey").unwrap(),
        )
        .with_session_token(xml_text(&out, "SessionToken").unwrap());
        (
            creds,
            format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/keygate-test"),
        )
    }

    pub fn client(&self) -> StsClient {
        client_for(&self.endpoint)
    }
}

pub fn client_for(endpoint: &str) -> StsClient {
    StsClient::new(StsConfig {
        endpoint: endpoint.to_string(),
        timeout: Duration::from_secs(10),
        backoff: Duration::from_millis(50),
        ..StsConfig::default()
    })
    .unwrap()
}
