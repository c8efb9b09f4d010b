//! gitleaks compatibility: a project's `.gitleaks.toml` works unchanged.

mod common;

use common::*;
use predicates::prelude::*;
use tempfile::TempDir;

const KEY2: &str = "AKIAZ7YV3MQTB2KR4PLW";
const ACME: &str = "q8x2k9d7m3v1b6n4c0z5l7p2w9e4r6t1";

/// Shaped like the configs teams keep in their repositories: the default
/// rules extended, one disabled, a couple of custom rules (one without
/// keywords, one limited to some paths), a default rule extended with an
/// allowlist, and a global allowlist with paths, regexes and stopwords.
const GITLEAKS_TOML: &str = r#"
# Title for the gitleaks configuration file.
title = "Acme gitleaks config"

[extend]
# Extend the default gitleaks config.
useDefault = true
disabledRules = ["generic-api-key"]

[[rules]]
id = "acme-internal-token"
description = "Acme internal service token"
regex = '''(?i)acme[_-]?internal[_-]?token\s*[:=]\s*["']?([a-z0-9]{32})["']?'''
secretGroup = 1
entropy = 3.5
keywords = ["acme"]
tags = ["internal", "token"]

[[rules]]
id = "legacy-db-password"
description = "Password of the legacy database"
regex = '''legacy_db_pw\s*[:=]\s*(\S{8,})'''
path = '''\.(ya?ml|env)$'''

[[rules]]
id = "aws-access-token"
    [[rules.allowlists]]
    description = "Keys of the shared test account"
    regexTarget = "line"
    regexes = ['''(?i)test[_-]?account''']

[allowlist]
description = "global allow list"
paths = [
    '''(^|/)vendor/''',
    '''\.lock$''',
    '''(.*?)(jpg|gif|doc|pdf|bin)$''',
]
regexes = ['''AKIAZ7YV3MQTB2KR4PLW''']
stopwords = ["notreal"]
"#;

fn project() -> TempDir {
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".gitleaks.toml", GITLEAKS_TOML);
    write(
        dir.path(),
        "app/settings.py",
        format!("ACME_INTERNAL_TOKEN = \"{ACME}\"\nACME_INTERNAL_TOKEN = \"notreal7m3v1b6n4c0z5l7p2w9e4r6t1\"\n"),
    );
    write(dir.path(), "deploy/db.yaml", "legacy_db_pw: Xk9mP2vL7qR4\n");
    write(dir.path(), "docs/db.txt", "legacy_db_pw: Xk9mP2vL7qR4\n");
    write(
        dir.path(),
        "vendor/lib/creds.env",
        format!("AWS_KEY={AKID}\n"),
    );
    write(
        dir.path(),
        "tests/keys.env",
        format!("AWS_KEY={AKID}  # shared test_account key\n"),
    );
    write(dir.path(), "allowed.env", format!("AWS_KEY={KEY2}\n"));
    write(dir.path(), "real.env", format!("AWS_KEY={AKID}\n"));
    dir
}

/// (path relative to `dir`, rule, secret) of each finding.
fn found(dir: &TempDir, findings: &[serde_json::Value]) -> Vec<(String, String, String)> {
    let root = format!("{}/", dir.path().display());
    findings
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            (
                path.strip_prefix(&root).unwrap_or(path).to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["secret"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn triple(path: &str, rule: &str, secret: &str) -> (String, String, String) {
    (path.into(), rule.into(), secret.into())
}

#[test]
fn a_real_world_gitleaks_config_is_picked_up_and_honoured() {
    let dir = project();
    let (code, findings, stderr) =
        scan_json(&["scan", dir.path().to_str().unwrap(), "--show-secrets"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("using gitleaks config"), "{stderr}");
    assert_eq!(
        found(&dir, &findings),
        [
            triple("app/settings.py", "acme-internal-token", ACME),
            triple("deploy/db.yaml", "legacy-db-password", "Xk9mP2vL7qR4"),
            triple("real.env", "aws-access-key-id", AKID),
        ],
        "{stderr}"
    );
}

#[test]
fn a_keygate_config_takes_precedence() {
    let dir = project();
    write(
        dir.path(),
        ".keygate.toml",
        "disable = [\"aws-access-key-id\"]\n",
    );
    let (code, findings, stderr) = scan_json(&["scan", dir.path().to_str().unwrap()]);
    assert!(stderr.contains("using keygate config"), "{stderr}");
    assert!(
        findings.iter().all(|f| f["rule"] != "aws-access-key-id"),
        "{findings:?}"
    );
    assert!(
        findings.iter().all(|f| f["rule"] != "acme-internal-token"),
        "{findings:?}"
    );
    assert_eq!(code, if findings.is_empty() { 0 } else { 1 });
}

#[test]
fn without_use_default_only_the_configs_rules_run() {
    let dir = TempDir::new().unwrap();
    let own = GITLEAKS_TOML
        .replace("useDefault = true\n", "")
        .replace("disabledRules = [\"generic-api-key\"]\n", "")
        .replace("[extend]\n", "");
    // Without [extend], the rule extending aws-access-token has nothing to
    // extend: gitleaks rejects it, and so does keygate.
    write(dir.path(), "gl.toml", &own);
    keygate()
        .args(["config", "check"])
        .arg(dir.path().join("gl.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "rule \"aws-access-token\": needs a regex",
        ));
    let own = own.replace(
        "[[rules]]\nid = \"aws-access-token\"\n",
        "[[rules]]\nid = \"aws-access-token\"\nregex = '''NEVER-MATCHES'''\n",
    );
    write(dir.path(), "gl.toml", &own);
    write(dir.path(), "real.env", format!("AWS_KEY={AKID}\n"));
    write(
        dir.path(),
        "app.py",
        format!("acme_internal_token = '{ACME}'\n"),
    );
    let cfg = dir.path().join("gl.toml");
    let (code, findings, stderr) = scan_json(&[
        "scan",
        dir.path().to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["rule"], "acme-internal-token");
}

#[test]
fn path_only_rules_report_files_by_name_even_binary_ones() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        ".gitleaks.toml",
        "[[rules]]\nid = \"pkcs12-file\"\ndescription = \"PKCS #12 file\"\npath = '''(?i)\\.(?:p12|pfx)$'''\n",
    );
    write(dir.path(), "keys/prod.p12", b"\x30\x82\x00\x00binary");
    write(dir.path(), "keys/readme.txt", "the .p12 is elsewhere\n");
    let (code, findings, stderr) = scan_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!((code, findings.len()), (1, 1), "{stderr}");
    assert_eq!(findings[0]["rule"], "pkcs12-file");
    assert_eq!(findings[0]["line"], 1);
    assert!(findings[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("keys/prod.p12"));
}

#[test]
fn unsupported_gitleaks_features_are_rejected_with_their_location() {
    let cases = [
        (
            "[[rules]]\nid = \"any-byte\"\nregex = '''a\\Cb'''\n",
            ":3:9: rule \"any-byte\": regex: not a regex keygate can run",
        ),
        (
            "[[rules]]\nid = \"x\"\nregex = '''x'''\n[[rules.required]]\nid = \"x\"\n",
            ":4:1: rule \"x\": required: composite rules are not supported",
        ),
        (
            "[extend]\nuseDefault = true\n[allowlist]\ncondition = \"AND\"\ncommits = [\"abc\"]\npaths = ['''x''']\n",
            ":4:1: allowlists: condition = \"AND\" together with commits",
        ),
        ("[extend]\nurl = \"https://example.org/gitleaks.toml\"\n", ":2:7: extend: url"),
        (
            "[[rules]]\nid = \"x\"\nregex = '''x'''\nseverity = \"high\"\n",
            ":4:1: unknown key `severity`",
        ),
    ];
    for (text, expected) in cases {
        let dir = TempDir::new().unwrap();
        write(dir.path(), ".gitleaks.toml", text);
        let file = dir.path().join(".gitleaks.toml");
        keygate()
            .args(["scan", dir.path().to_str().unwrap()])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!(
                "{}{expected}",
                file.display()
            )));
    }
}

#[test]
fn config_check_accepts_the_gitleaks_config() {
    let dir = project();
    keygate()
        .current_dir(dir.path())
        .args(["config", "check"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            ".gitleaks.toml: ok (gitleaks config)",
        ));
}
