//! `keygate scan` end to end: the binary on real temporary trees.

mod common;

use common::*;
use predicates::prelude::*;
use tempfile::TempDir;

fn tree_with_key() -> TempDir {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "config/.env",
        format!("A=1\nAWS_ACCESS_KEY_ID={AKID}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"),
    );
    write(
        dir.path(),
        "src/clean.rs",
        "fn main() { println!(\"hi\"); }\n",
    );
    dir
}

#[test]
fn finds_keys_in_hidden_files_with_all_json_fields() {
    let dir = tree_with_key();
    let (code, findings, stderr) = scan_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(findings.len(), 2, "{findings:?}");
    let f = &findings[0];
    assert_eq!(f["rule"], "aws-access-key-id");
    assert_eq!(f["line"], 2);
    assert_eq!(f["column"], 19);
    assert!(f["path"].as_str().unwrap().ends_with("config/.env"));
    for field in ["description", "fingerprint", "entropy"] {
        assert!(!f[field].is_null(), "missing {field}");
    }
    assert_eq!(findings[1]["rule"], "aws-secret-access-key");
    assert!(stderr.contains("2 files"), "{stderr}");
}

#[test]
fn secrets_are_redacted_unless_shown() {
    let dir = tree_with_key();
    let p = dir.path().to_str().unwrap();
    for format in ["text", "json", "jsonl", "sarif"] {
        let out = keygate()
            .args(["scan", p, "--format", format])
            .output()
            .unwrap();
        let all = [out.stdout, out.stderr].concat();
        let all = String::from_utf8_lossy(&all);
        assert!(!all.contains(AKID), "{format} leaks the key id");
        assert!(!all.contains(AWS_SECRET), "{format} leaks the secret");
    }
    let (_, findings, _) = scan_json(&["scan", p, "--show-secrets"]);
    assert_eq!(findings[0]["secret"], AKID);
    assert_eq!(findings[1]["secret"], AWS_SECRET);
}

#[test]
fn exit_codes() {
    let dir = tree_with_key();
    let p = dir.path().to_str().unwrap();
    keygate().args(["scan", p]).assert().code(1);
    keygate()
        .args(["scan", p, "--exit-code", "7"])
        .assert()
        .code(7);
    let clean = TempDir::new().unwrap();
    write(clean.path(), "a.txt", "nothing to see\n");
    keygate()
        .args(["scan", clean.path().to_str().unwrap()])
        .assert()
        .code(0);
    keygate()
        .args(["scan", "/definitely/not/here"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "/definitely/not/here: no such file or directory",
        ));
    keygate()
        .args(["scan", "--format", "yaml"])
        .assert()
        .code(2);
}

#[test]
fn missing_path_is_reported_and_the_rest_is_scanned() {
    let dir = tree_with_key();
    let (code, findings, stderr) =
        scan_json(&["scan", "/no/such/dir", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(findings.len(), 2);
    assert!(stderr.contains("/no/such/dir"), "{stderr}");
    let (code, _, stderr) = scan_json(&[
        "scan",
        "/no/such/dir",
        dir.path().to_str().unwrap(),
        "--ignore-errors",
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("1 input could not be scanned"), "{stderr}");
}

#[test]
fn stdin_is_scanned_as_dash() {
    let out = keygate()
        .args(["scan", "-", "--format", "json", "--show-secrets"])
        .write_stdin(format!("key = {AKID}"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["path"], "-");
    assert_eq!(v[0]["secret"], AKID);
    assert_eq!(v[0]["column"], 7);
}

#[test]
fn binary_and_large_files_are_skipped_and_counted() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "blob.bin",
        [b"\0\x01\x02".as_slice(), AKID.as_bytes()].concat(),
    );
    write(
        dir.path(),
        "big.txt",
        format!("{}{AKID}\n", "x".repeat(5000)),
    );
    let (code, findings, stderr) = scan_json(&[
        "scan",
        dir.path().to_str().unwrap(),
        "--max-file-size",
        "4K",
    ]);
    assert_eq!((code, findings.len()), (0, 0), "{stderr}");
    assert!(stderr.contains("1 binary"), "{stderr}");
    assert!(stderr.contains("1 too large"), "{stderr}");
    assert!(
        stderr.contains("big.txt: skipped: 4.9 KiB is over --max-file-size 4.0 KiB"),
        "{stderr}"
    );
}

#[test]
fn gitignore_is_honoured_unless_no_ignore_and_git_dir_is_never_read() {
    let dir = TempDir::new().unwrap();
    git(dir.path(), &["init", "-q"]);
    write(dir.path(), ".gitignore", "ignored.txt\n");
    write(dir.path(), "ignored.txt", format!("k={AKID}\n"));
    write(dir.path(), ".git/stray.txt", format!("k={AKID}\n"));
    let p = dir.path().to_str().unwrap();
    let (code, findings, _) = scan_json(&["scan", p]);
    assert_eq!((code, findings.len()), (0, 0));
    let (code, findings, _) = scan_json(&["scan", p, "--no-ignore"]);
    assert_eq!((code, findings.len()), (1, 1));
    assert!(findings[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("ignored.txt"));
}

#[test]
fn symlinks_are_not_followed_and_broken_ones_do_not_stop_the_scan() {
    let dir = tree_with_key();
    let outside = TempDir::new().unwrap();
    write(outside.path(), "secret.env", format!("k={AKID}\n"));
    std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).unwrap();
    std::os::unix::fs::symlink("/no/such/target", dir.path().join("broken")).unwrap();
    let (code, findings, stderr) = scan_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(findings.len(), 2);
}

#[test]
fn output_is_deterministic_and_fingerprints_survive_line_moves() {
    let dir = tree_with_key();
    for i in 0..20 {
        write(dir.path(), &format!("many/f{i}.env"), format!("k={AKID}\n"));
    }
    let p = dir.path().to_str().unwrap();
    let a = keygate()
        .args(["scan", p, "--format", "json"])
        .output()
        .unwrap();
    let b = keygate()
        .args(["scan", p, "--format", "json", "--threads", "1"])
        .output()
        .unwrap();
    assert_eq!(a.stdout, b.stdout);

    let (_, before, _) = scan_json(&["scan", p]);
    write(
        dir.path(),
        "config/.env",
        format!("# moved down\n\n\nAWS_ACCESS_KEY_ID={AKID}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"),
    );
    let (_, after, _) = scan_json(&["scan", p]);
    assert_eq!(before[0]["fingerprint"], after[0]["fingerprint"]);
    assert_ne!(before[0]["line"], after[0]["line"]);
}

#[test]
fn allow_marker_suppresses_a_line() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "a.py",
        format!("k = '{AKID}'  # keygate:allow\n"),
    );
    let (code, findings, _) = scan_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!((code, findings.len()), (0, 0));
}

#[test]
fn sarif_has_rules_results_and_locations() {
    let dir = tree_with_key();
    let out = keygate()
        .args(["scan", dir.path().to_str().unwrap(), "--format", "sarif"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "keygate");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2);
    let r = &run["results"][0];
    assert_eq!(r["ruleId"], "aws-access-key-id");
    assert_eq!(
        rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "aws-access-key-id"
    );
    let loc = &r["locations"][0]["physicalLocation"];
    assert!(loc["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
        .ends_with("config/.env"));
    assert_eq!(loc["region"]["startLine"], 2);
    assert!(r["partialFingerprints"]["keygate/v1"].is_string());
}

#[test]
fn output_file_gets_the_report() {
    let dir = tree_with_key();
    let out = TempDir::new().unwrap();
    let file = out.path().join("report.jsonl");
    keygate()
        .args([
            "scan",
            dir.path().to_str().unwrap(),
            "--format",
            "jsonl",
            "-o",
        ])
        .arg(&file)
        .assert()
        .code(1)
        .stdout("");
    let text = std::fs::read_to_string(file).unwrap();
    assert_eq!(text.lines().count(), 2);
}

#[test]
fn fail_on_sets_the_severity_that_fails() {
    // A key id alone is medium; with its secret nearby it is high.
    let alone = TempDir::new().unwrap();
    write(alone.path(), "a.env", format!("AWS_ACCESS_KEY_ID={AKID}\n"));
    let p = alone.path().to_str().unwrap();
    let (code, findings, _) = scan_json(&["scan", p]);
    assert_eq!(
        (code, findings[0]["severity"].as_str()),
        (1, Some("medium"))
    );
    keygate()
        .args(["scan", p, "--fail-on", "high"])
        .assert()
        .code(0);
    keygate()
        .args(["scan", p, "--fail-on", "medium"])
        .assert()
        .code(1);

    let pair = tree_with_key();
    let p = pair.path().to_str().unwrap();
    let (_, findings, _) = scan_json(&["scan", p]);
    assert_eq!(findings[0]["severity"], "high");
    assert_eq!(findings[1]["severity"], "high");
    keygate()
        .args(["scan", p, "--fail-on", "high"])
        .assert()
        .code(1);
    keygate()
        .args(["scan", p, "--fail-on", "critical"])
        .assert()
        .code(0);
    keygate()
        .args(["scan", p, "--fail-on", "severe"])
        .assert()
        .code(2);
}

#[test]
fn aws_findings_carry_a_playbook_once_per_key_in_text() {
    let dir = tree_with_key();
    write(dir.path(), "b.env", format!("AWS_ACCESS_KEY_ID={AKID}\n"));
    let (_, findings, _) = scan_json(&["scan", dir.path().to_str().unwrap()]);
    let steps = findings[0]["playbook"]["steps"].as_array().unwrap();
    assert!(steps.iter().any(|s| s["run"]
        .as_str()
        .is_some_and(|r| r.starts_with("aws iam update-access-key"))));
    let out = keygate()
        .args(["scan", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("What to do:").count(), 1, "{text}");
}

#[test]
fn utf16_files_with_a_bom_are_decoded_and_scanned() {
    let dir = TempDir::new().unwrap();
    let text = format!("Write-Host hi\r\n$env:AWS_ACCESS_KEY_ID = \"{AKID}\"\r\n");
    let bytes: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    write(dir.path(), "setup.ps1", bytes);
    let (code, findings, _) = scan_json(&["scan", dir.path().to_str().unwrap(), "--show-secrets"]);
    assert_eq!(code, 1);
    assert_eq!(findings[0]["secret"], AKID);
    assert_eq!(findings[0]["line"], 2);
}
