//! `keygate rules list` and `keygate rules test FILE`.

mod common;

use common::*;
use predicates::prelude::*;
use tempfile::TempDir;

const RULE_FILE: &str = r#"
[[rule]]
id = "acme-token"
description = "Acme API token"
keywords = ["acme_"]
regex = '''\b(acme_[a-z0-9]{20})\b'''
examples = ["token = acme_q8x2k9d7m3v1b6n4c0z5"]
counterexamples = ["token = acme_short"]

[[rule]]
id = "acme-url"
description = "Acme URL with a key"
regex = '''https://acme\.example/\?key=([A-Za-z0-9]{16})'''
examples = ["https://acme.example/?key=Q8x2K9d7M3v1B6n4"]
"#;

#[test]
fn rules_list_shows_id_description_and_keywords() {
    let dir = TempDir::new().unwrap();
    keygate()
        .current_dir(dir.path())
        .args(["rules", "list"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("aws-access-key-id"))
        .stdout(predicate::str::contains("AWS access key ID"))
        .stdout(predicate::str::contains("AKIA, ASIA"))
        .stderr(predicate::str::contains("from built-in rules"));
    write(dir.path(), ".keygate.toml", RULE_FILE);
    let out = keygate()
        .current_dir(dir.path())
        .args(["rules", "list"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.lines().find(|l| l.starts_with("acme-token ")).unwrap();
    assert!(
        line.contains("Acme API token") && line.ends_with("acme_"),
        "{line}"
    );
    let line = text.lines().find(|l| l.starts_with("acme-url ")).unwrap();
    assert!(line.contains("(none: runs on every file)"), "{line}");
    assert!(text.contains("aws-access-key-id"));
    keygate()
        .current_dir(dir.path())
        .args(["rules", "list", "--no-config"])
        .assert()
        .stdout(predicate::str::contains("acme-token").not());
}

#[test]
fn rules_test_passes_good_rules() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "acme.toml", RULE_FILE);
    keygate()
        .args(["rules", "test"])
        .arg(dir.path().join("acme.toml"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "ok    acme-token: 1 example, 1 counterexample",
        ))
        .stdout(predicate::str::contains(
            "ok    acme-url: 1 example, 0 counterexamples",
        ))
        .stderr(predicate::str::contains("2 rules tested, 0 failed"));
}

#[test]
fn rules_test_tests_a_built_in_rule_file_as_edited() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/aws.toml");
    keygate()
        .args(["rules", "test"])
        .arg(&file)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("ok    aws-access-key-id"));
    let dir = TempDir::new().unwrap();
    let edited = std::fs::read_to_string(&file)
        .unwrap()
        .replace("[A-Z2-7]{16})\\b", "[A-Z2-7]{17})\\b");
    write(dir.path(), "aws.toml", edited);
    keygate()
        .args(["rules", "test"])
        .arg(dir.path().join("aws.toml"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "FAIL  aws-access-key-id: example not found",
        ));
}

#[test]
fn rules_test_reports_failing_examples_and_bad_files() {
    let dir = TempDir::new().unwrap();
    let failing = RULE_FILE
        .replace("acme_short", "acme_q8x2k9d7m3v1b6n4c0z6")
        .replace("?key=Q8x2K9d7M3v1B6n4", "?key=short");
    write(dir.path(), "acme.toml", failing);
    keygate()
        .args(["rules", "test"])
        .arg(dir.path().join("acme.toml"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "FAIL  acme-token: counterexample matched: \"token = acme_q8x2k9d7m3v1b6n4c0z6\"",
        ))
        .stdout(predicate::str::contains(
            "FAIL  acme-url: example not found: \"https://acme.example/?key=short\"",
        ))
        .stderr(predicate::str::contains("2 rules tested, 2 failed"));
    write(
        dir.path(),
        "bad.toml",
        "[[rule]]\nid = \"x\"\ndescription = \"x\"\nregex = '''(x'''\n",
    );
    let bad = dir.path().join("bad.toml");
    keygate()
        .args(["rules", "test"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "{}:4:1: rule \"x\": regex:",
            bad.display()
        )));
}

#[test]
fn rules_test_compiles_a_gitleaks_config() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        ".gitleaks.toml",
        "[[rules]]\nid = \"acme\"\nregex = '''acme_[a-z]{8}'''\nkeywords = [\"acme_\"]\n",
    );
    keygate()
        .args(["rules", "test"])
        .arg(dir.path().join(".gitleaks.toml"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "ok    acme: compiles (no examples to check)",
        ));
}

/// A reader that stops early (`keygate rules list | head -1`) is not an
/// error: this used to panic in `println!`.
#[test]
fn rules_list_into_a_closed_pipe_is_not_an_error() {
    let dir = TempDir::new().unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("keygate"))
        .current_dir(dir.path())
        .args(["rules", "list"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end before keygate has loaded its rules.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}
