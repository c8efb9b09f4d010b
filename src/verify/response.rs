//! Reading an STS `GetCallerIdentity` response and deciding what it means.
//!
//! Real STS wraps errors as `<ErrorResponse><Error><Code>…`, moto as
//! `<ErrorResponse><Errors><Error><Code>…`; fields are therefore read by
//! element name wherever they appear (first occurrence wins).
//!
//! Invariant: a response only yields [`Verification::Invalid`] when STS
//! positively rejected the credential (`InvalidClientTokenId`, or
//! `SignatureDoesNotMatch` after the caller's retry); throttling, server
//! errors and anything unrecognised never do.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use quick_xml::Reader;

use crate::Verification;

/// What one STS response means for the credential that was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A verdict; no further request is useful.
    Final(Verification),
    /// `SignatureDoesNotMatch` (not clock skew): the secret is probably wrong.
    /// The caller retries once, then reports `Invalid`.
    SignatureMismatch,
    /// Throttling or a server-side failure: worth retrying with backoff. The
    /// string is a reason fit for `Verification::Error`.
    Transient(String),
}

/// Elements read from a response body.
#[derive(Debug, Default, PartialEq, Eq)]
struct Fields {
    code: Option<String>,
    message: Option<String>,
    account: Option<String>,
    arn: Option<String>,
    user_id: Option<String>,
}

#[derive(Clone, Copy)]
enum Field {
    Code,
    Message,
    Account,
    Arn,
    UserId,
}

impl Fields {
    fn slot(&mut self, f: Field) -> &mut Option<String> {
        match f {
            Field::Code => &mut self.code,
            Field::Message => &mut self.message,
            Field::Account => &mut self.account,
            Field::Arn => &mut self.arn,
            Field::UserId => &mut self.user_id,
        }
    }
}

fn field_named(local_name: &str) -> Option<Field> {
    Some(match local_name {
        "Code" => Field::Code,
        "Message" => Field::Message,
        "Account" => Field::Account,
        "Arn" => Field::Arn,
        "UserId" => Field::UserId,
        _ => return None,
    })
}

/// Extracts the fields of interest; `Err` if the body is not well-formed
/// enough to read.
fn read_fields(body: &str) -> Result<Fields, ()> {
    let mut reader = Reader::from_str(body);
    let mut fields = Fields::default();
    // The field being read and its text so far.
    let mut current: Option<(Field, String)> = None;
    loop {
        match reader.read_event().map_err(|_| ())? {
            Event::Start(e) => {
                current = None;
                if let Some(f) = field_named(e.local_name().as_ref()) {
                    if fields.slot(f).is_none() {
                        current = Some((f, String::new()));
                    }
                }
            }
            Event::Text(t) => {
                if let Some((_, text)) = &mut current {
                    text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some((_, text)) = &mut current {
                    text.push_str(&t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, text)) = &mut current {
                    if let Some(c) = r.resolve_char_ref().map_err(|_| ())? {
                        text.push(c);
                    } else {
                        text.push_str(resolve_predefined_entity(&r).ok_or(())?);
                    }
                }
            }
            Event::End(_) => {
                if let Some((f, text)) = current.take() {
                    *fields.slot(f) = Some(text.trim().to_string());
                }
            }
            Event::Eof => return Ok(fields),
            _ => {}
        }
    }
}

/// Classifies one response (HTTP status and body).
pub(crate) fn classify(status: u16, body: &str) -> Outcome {
    let fields = read_fields(body);
    if status == 200 {
        return match fields {
            Ok(Fields {
                account: Some(account),
                arn: Some(arn),
                user_id: Some(user_id),
                ..
            }) if !account.is_empty() && !arn.is_empty() => Outcome::Final(Verification::Live {
                account,
                arn,
                user_id,
            }),
            _ => final_error("malformed STS response (HTTP 200 without an identity)"),
        };
    }
    let (code, message) = match fields {
        Ok(f) => (f.code, f.message.unwrap_or_default()),
        Err(()) => (None, String::new()),
    };
    match code.as_deref() {
        Some("InvalidClientTokenId") => Outcome::Final(Verification::Invalid),
        Some("SignatureDoesNotMatch") if is_clock_skew(&message) => final_error(CLOCK_SKEW),
        Some("SignatureDoesNotMatch") => Outcome::SignatureMismatch,
        Some("RequestExpired") => final_error(CLOCK_SKEW),
        Some("ExpiredToken" | "ExpiredTokenException") => Outcome::Final(Verification::Expired),
        Some(
            c @ ("Throttling"
            | "ThrottlingException"
            | "RequestLimitExceeded"
            | "TooManyRequestsException"
            | "RequestThrottled"),
        ) => Outcome::Transient(format!("STS throttled the request ({c})")),
        _ if status >= 500 || status == 429 => Outcome::Transient(match code {
            Some(c) => format!("STS error {} (HTTP {status})", printable(&c)),
            None => format!("STS returned HTTP {status}"),
        }),
        Some(c) => final_error(&format!("STS error {} (HTTP {status})", printable(c))),
        None => final_error(&format!("unexpected HTTP {status} from STS")),
    }
}

const CLOCK_SKEW: &str =
    "STS rejected the request time (is the local clock wrong?); the secret was not judged";

/// Real STS reports a skewed clock as `SignatureDoesNotMatch` with a message
/// like "Signature expired: … is now earlier than …" or "Signature not yet
/// current: …"; that says nothing about the secret.
fn is_clock_skew(message: &str) -> bool {
    message.contains("Signature expired") || message.contains("Signature not yet current")
}

fn final_error(reason: &str) -> Outcome {
    Outcome::Final(Verification::Error {
        reason: reason.to_string(),
    })
}

/// An error code as it may appear in a reason: identifier characters only,
/// bounded length.
fn printable(code: &str) -> String {
    let ok = !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_');
    if ok {
        code.to_string()
    } else {
        "(unreadable code)".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIVE_USER: &str = r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::123456789012:user/alice</Arn>
    <UserId>AIDASAMPLEUSERID</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>
"#;

    /// Real STS error document shape.
    fn sts_error(code: &str, message: &str) -> String {
        format!(
            r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>{code}</Code>
    <Message>{message}</Message>
  </Error>
  <RequestId>4e2cd4c1-6b5c-4f19-a1c4-8bd4bd0ec6a5</RequestId>
</ErrorResponse>
"#
        )
    }

    /// moto's error document shape.
    fn moto_error(code: &str, message: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<ErrorResponse><Errors><Error><Code>{code}</Code><Message>{message}</Message><Type>Sender</Type></Error></Errors></ErrorResponse>"#
        )
    }

    fn live(account: &str, arn: &str, user_id: &str) -> Outcome {
        Outcome::Final(Verification::Live {
            account: account.into(),
            arn: arn.into(),
            user_id: user_id.into(),
        })
    }

    fn is_error(o: &Outcome) -> bool {
        matches!(o, Outcome::Final(Verification::Error { .. }))
    }

    #[test]
    fn ok_is_live_with_identity() {
        assert_eq!(
            classify(200, LIVE_USER),
            live(
                "123456789012",
                "arn:aws:iam::123456789012:user/alice",
                "AIDASAMPLEUSERID"
            )
        );
    }

    #[test]
    fn ok_from_moto_and_assumed_role() {
        let body = r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><UserId>AROARZPUZDIKMOH7ZSFB3:s1</UserId><Account>123456789012</Account><Arn>arn:aws:sts::123456789012:assumed-role/r2/s1</Arn></GetCallerIdentityResult><ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></GetCallerIdentityResponse>"#;
        assert_eq!(
            classify(200, body),
            live(
                "123456789012",
                "arn:aws:sts::123456789012:assumed-role/r2/s1",
                "AROARZPUZDIKMOH7ZSFB3:s1"
            )
        );
    }

    #[test]
    fn entities_and_cdata_are_decoded() {
        let body = "<R><Account>123456789012</Account><Arn>arn:aws:iam::123456789012:user/a&amp;b&#x2B;c</Arn><UserId><![CDATA[AIDA<x>]]></UserId></R>";
        assert_eq!(
            classify(200, body),
            live(
                "123456789012",
                "arn:aws:iam::123456789012:user/a&b+c",
                "AIDA<x>"
            )
        );
    }

    #[test]
    fn ok_without_identity_is_an_error_not_live() {
        assert!(is_error(&classify(200, "<GetCallerIdentityResponse/>")));
        assert!(is_error(&classify(200, "not xml <<<")));
        assert!(is_error(&classify(200, "")));
        assert!(is_error(&classify(
            200,
            "<R><Account></Account><Arn>a</Arn><UserId>u</UserId></R>"
        )));
    }

    #[test]
    fn invalid_client_token_id_is_invalid_in_both_shapes() {
        let m = "The security token included in the request is invalid.";
        for body in [
            sts_error("InvalidClientTokenId", m),
            moto_error("InvalidClientTokenId", m),
        ] {
            assert_eq!(classify(403, &body), Outcome::Final(Verification::Invalid));
        }
    }

    #[test]
    fn signature_mismatch_asks_for_a_retry() {
        let m = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
        for body in [
            sts_error("SignatureDoesNotMatch", m),
            moto_error("SignatureDoesNotMatch", m),
        ] {
            assert_eq!(classify(403, &body), Outcome::SignatureMismatch);
        }
    }

    #[test]
    fn clock_skew_is_an_error_not_invalid() {
        let m = "Signature expired: 20240101T000000Z is now earlier than 20240101T001000Z (20240101T002500Z - 15 min.)";
        assert!(is_error(&classify(
            403,
            &sts_error("SignatureDoesNotMatch", m)
        )));
        let m = "Signature not yet current: 20240101T010000Z is still later than 20240101T001500Z";
        assert!(is_error(&classify(
            403,
            &sts_error("SignatureDoesNotMatch", m)
        )));
        assert!(is_error(&classify(
            400,
            &sts_error("RequestExpired", "Request has expired.")
        )));
    }

    #[test]
    fn expired_token_is_expired() {
        let m = "The security token included in the request is expired";
        for body in [sts_error("ExpiredToken", m), moto_error("ExpiredToken", m)] {
            assert_eq!(classify(403, &body), Outcome::Final(Verification::Expired));
        }
    }

    #[test]
    fn throttling_is_transient() {
        for code in ["Throttling", "ThrottlingException", "RequestLimitExceeded"] {
            for status in [400, 403, 429, 503] {
                let o = classify(status, &sts_error(code, "Rate exceeded"));
                assert!(
                    matches!(&o, Outcome::Transient(r) if r.contains(code)),
                    "{code} {status}: {o:?}"
                );
            }
        }
    }

    #[test]
    fn server_errors_are_transient() {
        assert!(matches!(
            classify(500, &sts_error("InternalFailure", "oops")),
            Outcome::Transient(_)
        ));
        assert!(matches!(
            classify(503, "<html>busy</html>"),
            Outcome::Transient(_)
        ));
        assert!(matches!(classify(502, ""), Outcome::Transient(_)));
        assert!(matches!(classify(429, ""), Outcome::Transient(_)));
    }

    #[test]
    fn other_errors_are_errors_never_invalid() {
        let o = classify(403, &sts_error("AccessDenied", "no"));
        assert!(
            matches!(&o, Outcome::Final(Verification::Error { reason }) if reason.contains("AccessDenied"))
        );
        assert!(is_error(&classify(
            400,
            &sts_error("MissingAuthenticationToken", "x")
        )));
        assert!(is_error(&classify(404, "<html>not found</html>")));
        assert!(is_error(&classify(403, "garbage <")));
        // A code that is not an identifier is not echoed.
        let o = classify(403, &sts_error("x y\n[1;31m", "m"));
        assert!(
            matches!(&o, Outcome::Final(Verification::Error { reason }) if reason.contains("unreadable code") && !reason.contains("x y")),
            "{o:?}"
        );
    }

    #[test]
    fn first_code_wins() {
        let body = "<ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code></Error><Error><Code>Throttling</Code></Error></Errors></ErrorResponse>";
        assert_eq!(classify(403, body), Outcome::Final(Verification::Invalid));
    }
}
