//! `--verify` end to end: the binary finds a key pair in a file and checks
//! it against a local moto STS. See `common::moto` for how moto is found.

mod common;

use common::moto::*;
use common::*;
use keygate::verify::AwsCredentials;
use tempfile::TempDir;

/// A new IAM user whose access key id our rule can match: real AWS key ids
/// use the base32 alphabet, moto's may contain 0, 1, 8 or 9, so draw keys
/// until one fits (IAM allows two keys per user; unfit ones are deleted).
fn detectable_user_key(moto: &Moto, user: &str) -> AwsCredentials {
    moto.iam("CreateUser", &[("UserName", user)]);
    for _ in 0..100 {
        let out = moto.iam("CreateAccessKey", &[("UserName", user)]);
        let id = xml_text(&out, "AccessKeyId").unwrap();
        if id[4..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
        {
            return AwsCredentials::new(id, xml_text(&out, "SecretAccessKey").unwrap());
        }
        moto.iam(
            "DeleteAccessKey",
            &[("UserName", user), ("AccessKeyId", &id)],
        );
    }
    panic!("moto never produced a base32 key id");
}

fn scan_verified(dir: &TempDir, endpoint: &str, extra: &[&str]) -> (i32, Vec<serde_json::Value>) {
    let (code, findings, stderr) = scan_json(
        &[
            &[
                "scan",
                dir.path().to_str().unwrap(),
                "--verify",
                "--sts-endpoint",
                endpoint,
            ],
            extra,
        ]
        .concat(),
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    (code, findings)
}

#[test]
fn a_live_key_pair_in_a_file_is_reported_live_with_its_arn() {
    let Some(moto) = moto() else { return };
    let user = unique("kg-cli");
    let key = detectable_user_key(&moto, &user);
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        ".aws/credentials",
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            key.key_id, key.secret
        ),
    );
    let (code, findings) = scan_verified(&dir, &moto.endpoint, &[]);
    assert_eq!(code, 1);
    let v = &findings[0]["verification"];
    assert_eq!(findings[0]["rule"], "aws-access-key-id");
    assert_eq!(v["status"], "live", "{findings:?}");
    assert_eq!(v["account"], ACCOUNT);
    assert_eq!(v["arn"], format!("arn:aws:iam::{ACCOUNT}:user/{user}"));
    assert_eq!(findings[1]["verification"]["status"], "live");
    // A live long-term key is critical, and its playbook names the real
    // user and key.
    assert_eq!(findings[0]["severity"], "critical");
    let (_, shown) = scan_verified(&dir, &moto.endpoint, &["--show-secrets"]);
    let first = shown[0]["playbook"]["steps"][0]["run"].as_str().unwrap();
    assert_eq!(
        first,
        format!(
            "aws iam update-access-key --user-name {user} --access-key-id {} --status Inactive",
            key.key_id
        )
    );

    // Text output makes a live key unmistakable and still hides the secret.
    let out = keygate()
        .args([
            "scan",
            dir.path().to_str().unwrap(),
            "--verify",
            "--sts-endpoint",
            &moto.endpoint,
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("LIVE KEY"), "{text}");
    assert!(!text.contains(&key.secret));

    // Once the key is deleted it is invalid, and --only-live drops it.
    moto.iam(
        "DeleteAccessKey",
        &[("UserName", &user), ("AccessKeyId", &key.key_id)],
    );
    let (code, findings) = scan_verified(&dir, &moto.endpoint, &[]);
    assert_eq!(findings[0]["verification"]["status"], "invalid");
    assert_eq!(findings[0]["severity"], "low");
    assert_eq!(code, 1, "any finding fails by default");
    keygate()
        .args([
            "scan",
            dir.path().to_str().unwrap(),
            "--verify",
            "--sts-endpoint",
            &moto.endpoint,
        ])
        .args(["--fail-on", "medium"])
        .assert()
        .code(0);
    let (code, findings) = scan_verified(&dir, &moto.endpoint, &["--only-live"]);
    assert_eq!((code, findings.len()), (0, 0));
}

#[test]
fn without_verify_nothing_is_sent_but_the_account_is_decoded() {
    // An endpoint that would refuse: if keygate called it, the status would
    // be `error`; without --verify there must be no status at all.
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "a.env",
        format!("AWS_ACCESS_KEY_ID=ASIAY34FZKBOKMUTVV7A\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"),
    );
    let out = keygate()
        .args(["scan", dir.path().to_str().unwrap(), "--format", "json"])
        .env("KEYGATE_STS_ENDPOINT", "http://127.0.0.1:9/")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["account"], "609629065308");
    assert!(v[0].get("verification").is_none(), "{v}");
}

#[test]
fn canary_keys_are_marked_offline() {
    // AKIAYVP4CIPPERUVIFXG decodes to a canarytokens.org account.
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "a.env",
        "AWS_ACCESS_KEY_ID=AKIAYVP4CIPPERUVIFXG\n",
    );
    let (_, findings, _) = scan_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(findings[0]["verification"]["status"], "canary");
    assert_eq!(findings[0]["account"], "595918472158");
}
