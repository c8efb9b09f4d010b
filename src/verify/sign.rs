//! AWS credentials and SigV4 signing of form-encoded `POST` requests (the
//! AWS query protocol used by STS and IAM).
//!
//! Signing is done by the `aws-sigv4` crate; this module only builds the
//! request it signs. Neither type here ever prints a secret: `Debug` of
//! [`AwsCredentials`] shows the key id only, and [`SignError`] messages never
//! contain credential material.

use std::fmt;
use std::time::SystemTime;

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use http::header::{CONTENT_TYPE, HOST};

/// `Content-Type` of every query-protocol request.
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// One AWS credential: key id, secret and, for temporary (`ASIA…`) keys,
/// the session token.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AwsCredentials {
    pub key_id: String,
    pub secret: String,
    pub session_token: Option<String>,
}

impl AwsCredentials {
    pub fn new(key_id: impl Into<String>, secret: impl Into<String>) -> Self {
        AwsCredentials {
            key_id: key_id.into(),
            secret: secret.into(),
            session_token: None,
        }
    }

    pub fn with_session_token(mut self, token: impl Into<String>) -> Self {
        self.session_token = Some(token.into());
        self
    }
}

impl fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("key_id", &self.key_id)
            .field("secret", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Why a request could not be built or signed (never contains a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignError(String);

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SignError {}

/// Builds a SigV4-signed `POST` of the form `body` to `endpoint`, for
/// `service` in `region`, signed at the current time.
///
/// `body` must already be form-encoded. The request carries `Host`,
/// `Content-Type` ([`FORM_CONTENT_TYPE`]), `X-Amz-Date`, `Authorization` and,
/// when `creds` has a session token, `X-Amz-Security-Token`; all of them are
/// covered by the signature.
pub fn signed_form_post(
    endpoint: &str,
    region: &str,
    service: &str,
    creds: &AwsCredentials,
    body: &str,
) -> Result<http::Request<Vec<u8>>, SignError> {
    let uri: http::Uri = endpoint
        .parse()
        .map_err(|e| SignError(format!("invalid endpoint {endpoint:?}: {e}")))?;
    let host = host_header(&uri)
        .ok_or_else(|| SignError(format!("endpoint {endpoint:?} has no http(s) host")))?;
    // Both travel in headers; reject what a header cannot carry before the
    // signer sees it.
    if creds.key_id.is_empty() || !creds.key_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(SignError(format!(
            "access key id {:?} is not alphanumeric",
            creds.key_id
        )));
    }
    if let Some(token) = &creds.session_token {
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(SignError(
                "session token contains characters not allowed in an HTTP header".into(),
            ));
        }
    }

    let identity = aws_credential_types::Credentials::new(
        creds.key_id.clone(),
        creds.secret.clone(),
        creds.session_token.clone(),
        None,
        "keygate",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| SignError(format!("cannot build signing parameters: {e}")))?
        .into();
    let headers = [
        (HOST.as_str(), host.as_str()),
        (CONTENT_TYPE.as_str(), FORM_CONTENT_TYPE),
    ];
    let signable = SignableRequest::new(
        "POST",
        endpoint,
        headers.iter().copied(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .map_err(|e| SignError(format!("cannot sign request: {e}")))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| SignError(format!("cannot sign request: {e}")))?
        .into_parts();

    let mut request = http::Request::builder()
        .method(http::Method::POST)
        .uri(uri)
        .header(HOST, host)
        .header(CONTENT_TYPE, FORM_CONTENT_TYPE)
        .body(body.as_bytes().to_vec())
        .map_err(|e| SignError(format!("cannot build request: {e}")))?;
    instructions.apply_to_request_http1x(&mut request);
    Ok(request)
}

/// The `Host` header for `uri`: the host, plus the port unless it is the
/// scheme's default. `None` unless the scheme is http or https and a host
/// is present.
fn host_header(uri: &http::Uri) -> Option<String> {
    let default_port = match uri.scheme_str()? {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let host = uri.host().filter(|h| !h.is_empty())?;
    Some(match uri.port_u16() {
        Some(p) if p != default_port => format!("{host}:{p}"),
        _ => host.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn creds() -> AwsCredentials {
        AwsCredentials::new("AKIAY34FZKBOKMUTVV7A", SECRET)
    }

    #[test]
    fn signed_request_has_sigv4_headers() {
        let req = signed_form_post(
            "https://sts.amazonaws.com/",
            "us-east-1",
            "sts",
            &creds(),
            "Action=GetCallerIdentity&Version=2011-06-15",
        )
        .unwrap();
        assert_eq!(req.method(), http::Method::POST);
        assert_eq!(req.headers()[HOST], "sts.amazonaws.com");
        assert_eq!(req.headers()[CONTENT_TYPE], FORM_CONTENT_TYPE);
        assert!(req.headers().contains_key("x-amz-date"));
        assert!(!req.headers().contains_key("x-amz-security-token"));
        let auth = req.headers()["authorization"].to_str().unwrap();
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIAY34FZKBOKMUTVV7A/"));
        assert!(auth.contains("/us-east-1/sts/aws4_request"));
        assert!(auth.contains("content-type;host;x-amz-date"), "{auth}");
        assert!(!auth.contains(SECRET));
        assert_eq!(req.body(), b"Action=GetCallerIdentity&Version=2011-06-15");
    }

    #[test]
    fn session_token_is_sent_and_signed() {
        let c = creds().with_session_token("FQoGZXIvYXdzEXAMPLETOKEN+/=");
        let req = signed_form_post("http://127.0.0.1:4566", "eu-west-1", "sts", &c, "x=1").unwrap();
        assert_eq!(
            req.headers()["x-amz-security-token"],
            "FQoGZXIvYXdzEXAMPLETOKEN+/="
        );
        assert_eq!(req.headers()[HOST], "127.0.0.1:4566");
        let auth = req.headers()["authorization"].to_str().unwrap();
        assert!(auth.contains("x-amz-security-token"), "{auth}");
        assert!(auth.contains("/eu-west-1/sts/aws4_request"));
    }

    #[test]
    fn default_ports_are_left_out_of_host() {
        let h = |u: &str| host_header(&u.parse().unwrap());
        assert_eq!(
            h("https://sts.amazonaws.com:443/").as_deref(),
            Some("sts.amazonaws.com")
        );
        assert_eq!(h("http://localhost:80").as_deref(), Some("localhost"));
        assert_eq!(
            h("https://localhost:8443").as_deref(),
            Some("localhost:8443")
        );
        assert_eq!(h("ftp://localhost"), None);
        assert_eq!(h("/relative"), None);
    }

    #[test]
    fn bad_endpoints_are_errors_without_secrets() {
        for ep in ["not a url", "ftp://x/", "/path-only"] {
            let e = signed_form_post(ep, "us-east-1", "sts", &creds(), "").unwrap_err();
            assert!(!e.to_string().contains(SECRET));
        }
    }

    #[test]
    fn header_unsafe_credentials_are_rejected() {
        let sign = |c: &AwsCredentials| {
            signed_form_post("https://sts.amazonaws.com/", "us-east-1", "sts", c, "")
        };
        assert!(sign(&AwsCredentials::new("AKIA\nX", SECRET)).is_err());
        assert!(sign(&AwsCredentials::new("", SECRET)).is_err());
        let e = sign(&creds().with_session_token("Zq9Vt\r\nX-Evil: 1")).unwrap_err();
        assert!(!e.to_string().contains("Zq9Vt"));
        assert!(sign(&creds().with_session_token("")).is_err());
        // Any secret is fine: it only feeds the HMAC.
        assert!(sign(&AwsCredentials::new("AKIAX", "s p a c e\n\u{e9}")).is_ok());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let c = creds().with_session_token("TOKENVALUE");
        let d = format!("{c:?}");
        assert!(d.contains("AKIAY34FZKBOKMUTVV7A"));
        assert!(!d.contains(SECRET));
        assert!(!d.contains("TOKENVALUE"));
    }
}
