//! Project config (`.keygate.toml`, `--config`): extra rules, disabled
//! rules, allowlists, entropy overrides, file size, and located errors.

mod common;

use common::*;
use predicates::prelude::*;
use tempfile::TempDir;

const KEY2: &str = "AKIAZ7YV3MQTB2KR4PLW";

fn rules_of(findings: &[serde_json::Value]) -> Vec<String> {
    findings
        .iter()
        .map(|f| {
            format!(
                "{}:{}",
                f["path"].as_str().unwrap().rsplit('/').next().unwrap(),
                f["rule"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn extra_rules_disable_and_allowlists_apply() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        ".keygate.toml",
        r#"
disable = ["aws-secret-access-key", "generic-secret"]

[allowlist]
paths = ["fixtures/", "*.lock"]
regexes = ['''^AKIAZ7''']
stopwords = ["notreal"]

[[rule]]
id = "acme-token"
description = "Acme API token"
keywords = ["acme_"]
regex = '''\b(acme_[a-z0-9]{20})\b'''
min_entropy = 3.0
examples = ["acme_q8x2k9d7m3v1b6n4c0z5"]
"#,
    );
    write(
        dir.path(),
        "app.env",
        format!("ID={AKID}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\nACME=acme_q8x2k9d7m3v1b6n4c0z5\nACME2=acme_notreal7m3v1b6n4c0z\n"),
    );
    write(dir.path(), "allowed.env", format!("ID={KEY2}\n"));
    write(
        dir.path(),
        "tests/fixtures/creds.env",
        format!("ID={AKID}\n"),
    );
    write(dir.path(), "deep/yarn.lock", format!("ID={AKID}\n"));
    let (code, findings, stderr) = scan_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        rules_of(&findings),
        ["app.env:aws-access-key-id", "app.env:acme-token"],
        "{stderr}"
    );
    assert!(stderr.contains("using keygate config"), "{stderr}");

    // --no-config: built-in rules only, no allowlists.
    let (_, findings, _) = scan_json(&["scan", dir.path().to_str().unwrap(), "--no-config"]);
    let found = rules_of(&findings);
    for expected in [
        "app.env:aws-secret-access-key",
        "allowed.env:aws-access-key-id",
        "creds.env:aws-access-key-id",
        "yarn.lock:aws-access-key-id",
    ] {
        assert!(found.iter().any(|f| f == expected), "{expected}: {found:?}");
    }
    assert!(!found.iter().any(|f| f.ends_with("acme-token")));
}

#[test]
fn the_config_file_itself_is_not_reported() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        ".keygate.toml",
        format!("[allowlist]\nregexes = ['''^{AKID}$''']\n# was: key = {KEY2}\n"),
    );
    let (code, findings, stderr) = scan_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!((code, findings.len()), (0, 0), "{stderr} {findings:?}");
}

#[test]
fn explicit_config_and_entropy_override() {
    let dir = TempDir::new().unwrap();
    let cfg = TempDir::new().unwrap();
    write(
        cfg.path(),
        "strict.toml",
        "[entropy]\naws-access-key-id = 4.5\n",
    );
    write(dir.path(), "a.env", format!("ID={AKID}\n"));
    let p = dir.path().to_str().unwrap();
    let (code, findings, _) = scan_json(&["scan", p]);
    assert_eq!((code, findings.len()), (1, 1));
    let strict = cfg.path().join("strict.toml");
    let (code, findings, stderr) = scan_json(&["scan", p, "--config", strict.to_str().unwrap()]);
    assert_eq!((code, findings.len()), (0, 0), "{stderr}");
}

#[test]
fn max_file_size_from_config_and_command_line() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".keygate.toml", "max_file_size = \"1K\"\n");
    write(
        dir.path(),
        "big.env",
        format!("{}\nID={AKID}\n", "x".repeat(2000)),
    );
    let p = dir.path().to_str().unwrap();
    let (code, findings, stderr) = scan_json(&["scan", p]);
    assert_eq!((code, findings.len()), (0, 0));
    assert!(stderr.contains("1 too large"), "{stderr}");
    let (code, findings, _) = scan_json(&["scan", p, "--max-file-size", "1M"]);
    assert_eq!((code, findings.len()), (1, 1));
}

/// A bad config stops the scan with exit 2 and a message naming the file,
/// the line and the key.
#[test]
fn bad_configs_are_errors_naming_file_line_and_key() {
    let cases = [
        (
            "[allowlist]\npaths = []\nregex = ['x']\n",
            ":3:1: unknown key `regex`",
        ),
        (
            "[allowlist]\nregexes = ['''ok''', '''(unclosed''']\n",
            ":2:22: allowlist: regexes:",
        ),
        (
            "[[rule]]\nid = \"t\"\ndescription = \"t\"\nkeywords = [\"t\"]\nregex = '''t(['''\n",
            ":5:1: rule \"t\": regex:",
        ),
        (
            "disable = [\"no-such-rule\"]\n",
            ":1:12: disable: unknown built-in rule id",
        ),
        (
            "[entropy]\nno-such-rule = 3.0\n",
            ":2:1: entropy: unknown rule id",
        ),
        ("max_file_size = \"lots\"\n", ":1:17: max_file_size:"),
        ("[allowlist\n", ":1:"),
    ];
    for (text, expected) in cases {
        let dir = TempDir::new().unwrap();
        write(dir.path(), ".keygate.toml", text);
        write(dir.path(), "a.env", format!("ID={AKID}\n"));
        let file = dir.path().join(".keygate.toml");
        let want = format!("{}{expected}", file.display());
        keygate()
            .args(["scan", dir.path().to_str().unwrap()])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(want.clone()));
        keygate()
            .args(["config", "check"])
            .arg(&file)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(want));
    }
}

#[test]
fn config_check_reports_a_good_config() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        ".keygate.toml",
        "disable = [\"aws-session-token\"]\n",
    );
    keygate()
        .args(["config", "check"])
        .current_dir(dir.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            ".keygate.toml: ok (keygate config)",
        ));
    let empty = TempDir::new().unwrap();
    keygate()
        .args(["config", "check"])
        .current_dir(empty.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no .keygate.toml or .gitleaks.toml",
        ));
}
