//! Ignores: `.keygateignore` fingerprints, `.gitleaksignore` entries, and
//! inline markers.

mod common;

use common::*;
use predicates::prelude::*;
use tempfile::TempDir;

const KEY2: &str = "AKIAZ7YV3MQTB2KR4PLW";

#[test]
fn keygateignore_fingerprints_follow_the_secret_not_the_line() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.env", format!("ID={AKID}\nOTHER={KEY2}\n"));
    let p = dir.path().to_str().unwrap();
    let (_, findings, _) = scan_json(&["scan", p]);
    assert_eq!(findings.len(), 2);
    let fp = findings[0]["fingerprint"].as_str().unwrap().to_string();
    write(
        dir.path(),
        ".keygateignore",
        format!("# test key from the vendor docs\n\n{fp}  aws-access-key-id a.env\n"),
    );
    let (code, findings, _) = scan_json(&["scan", p, "--show-secrets"]);
    assert_eq!((code, findings.len()), (1, 1));
    assert_eq!(findings[0]["secret"], KEY2);
    // Moved to another line: still ignored.
    write(
        dir.path(),
        "a.env",
        format!("\n\nOTHER={KEY2}\nID={AKID}\n"),
    );
    let (_, findings, _) = scan_json(&["scan", p, "--show-secrets"]);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["secret"], KEY2);
    // --no-config ignores the ignore file too.
    let (_, findings, _) = scan_json(&["scan", p, "--no-config"]);
    assert_eq!(findings.len(), 2);
}

#[test]
fn a_malformed_keygateignore_is_an_error() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.env", format!("ID={AKID}\n"));
    write(
        dir.path(),
        ".keygateignore",
        "# fine\nAKIA-not-a-fingerprint\n",
    );
    keygate()
        .args(["scan", dir.path().to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            ".keygateignore:2: not a fingerprint",
        ));
}

#[test]
fn gitleaksignore_entries_pin_file_rule_and_line() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "conf/a.env",
        format!("ID={AKID}\nOTHER={KEY2}\n"),
    );
    // gitleaks' rule id for AWS keys is aws-access-token; keygate knows it.
    write(
        dir.path(),
        ".gitleaksignore",
        "conf/a.env:aws-access-token:1\nconf\\a.env:aws-access-key-id:9\nthis is not an entry\n",
    );
    let (code, findings, stderr) =
        scan_json(&["scan", dir.path().to_str().unwrap(), "--show-secrets"]);
    assert_eq!((code, findings.len()), (1, 1), "{stderr}");
    assert_eq!(findings[0]["secret"], KEY2);
    assert!(
        stderr.contains("warning"),
        "bad entry warned about: {stderr}"
    );
}

#[test]
fn inline_markers_on_the_line_and_the_line_before() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "a.py",
        format!(
            "a = '{AKID}'  # gitleaks:allow\n\
             # keygate:allow-next-line (test fixture)\n\
             b = '{KEY2}'\n\
             c = '{AKID}'\n"
        ),
    );
    let (code, findings, _) = scan_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!((code, findings.len()), (1, 1));
    assert_eq!(findings[0]["line"], 4);
}
