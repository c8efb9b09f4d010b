//! Noise control in the git commands: `staged` and `history` honour the
//! project config, ignore files and baselines, and a baseline written by
//! one command serves the others.

mod git_util;

use git_util::*;

fn code(out: &std::process::Output) -> i32 {
    out.status.code().unwrap()
}

#[test]
fn one_baseline_serves_scan_history_and_staged() {
    let r = Repo::new();
    r.write("conf/aws.ini", format!("[default]\n{}", key_line(KEY_A)));
    r.write("app/settings.py", format!("KEY = '{KEY_B}'\n"));
    r.commit_all("legacy keys");

    let out = r.keygate(&["scan", ".", "--write-baseline", ".keygate-baseline"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let f = r.json(&["history", "--baseline", ".keygate-baseline"], 0);
    assert!(f.is_empty(), "{f:?}");
    let out = r.keygate(&["history", "--write-baseline", "h-baseline"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        std::fs::read(r.dir.join("h-baseline")).unwrap(),
        std::fs::read(r.dir.join(".keygate-baseline")).unwrap(),
        "history and scan write the same baseline for the same secrets"
    );

    // The accepted key moves down its file; a new key arrives elsewhere.
    r.write(
        "conf/aws.ini",
        format!("[default]\nregion = eu-west-1\n{}", key_line(KEY_A)),
    );
    r.write("conf/new.ini", key_line(KEY_C));
    r.git(&["add", "-A"]);
    let f = r.json(&["staged", "--baseline", ".keygate-baseline"], 1);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["path"], "conf/new.ini");
    r.commit("move and add");
    let f = r.json(&["history", "--baseline", ".keygate-baseline"], 1);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["path"], "conf/new.ini");
}

#[test]
fn pruning_needs_a_complete_scan() {
    let r = Repo::new();
    r.write("a.ini", key_line(KEY_A));
    let first = r.commit_all("one");
    r.commit_all("two");
    let out = r.keygate(&["history", "--write-baseline", "b"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = r.keygate(&["staged", "--baseline", "b", "--baseline-prune"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains(
            "--baseline-prune needs a complete scan; this one covers only staged changes"
        ),
        "{}",
        stderr(&out)
    );
    let range = format!("{first}..HEAD");
    let out = r.keygate(&[
        "history",
        "--range",
        &range,
        "--baseline",
        "b",
        "--baseline-prune",
    ]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let out = r.keygate(&["history", "--baseline", "b", "--baseline-prune"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn keygate_config_and_ignore_file_apply_to_staged_and_history() {
    let r = Repo::new();
    r.write(".keygate.toml", "[allowlist]\npaths = [\"fixtures/\"]\n");
    r.write("tests/fixtures/aws.ini", key_line(KEY_A));
    r.write("conf/ignored.ini", key_line(KEY_B));
    r.write("conf/real.ini", key_line(KEY_C));
    r.git(&["add", "-A"]);
    let f = r.json(&["staged"], 1);
    assert_eq!(f.len(), 2, "{f:?}");
    let ignored = f.iter().find(|f| f["path"] == "conf/ignored.ini").unwrap();
    r.write(
        ".keygateignore",
        format!(
            "{} vendor test key\n",
            ignored["fingerprint"].as_str().unwrap()
        ),
    );
    let f = r.json(&["staged"], 1);
    assert_eq!(summary(&f)[0].0, "conf/real.ini");
    assert_eq!(f.len(), 1, "{f:?}");
    r.commit("keys");
    let f = r.json(&["history"], 1);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["path"], "conf/real.ini");
}

#[test]
fn gitleaks_commit_allowlists_and_ignore_entries_apply_to_history() {
    let r = Repo::new();
    r.write("a.ini", key_line(KEY_A));
    let allowed = r.commit_all("allowed by commit");
    r.write("b.ini", format!("\n{}", key_line(KEY_B)));
    let ignored = r.commit_all("ignored by .gitleaksignore");
    r.write("c.ini", key_line(KEY_C));
    r.commit_all("reported");
    r.write(
        ".gitleaks.toml",
        format!("[extend]\nuseDefault = true\n[allowlist]\ncommits = [\"{allowed}\"]\n"),
    );
    r.write(
        ".gitleaksignore",
        format!("{ignored}:b.ini:aws-access-token:2\n"),
    );
    let f = r.json(&["history"], 1);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["path"], "c.ini");
}

#[test]
fn path_only_rules_see_binary_files_in_history_and_staged() {
    let r = Repo::new();
    r.write(
        ".gitleaks.toml",
        "[extend]\nuseDefault = true\n[[rules]]\nid = \"pkcs12-file\"\npath = '''(?i)\\.(?:p12|pfx)$'''\n",
    );
    r.write("certs/prod.p12", b"\x30\x82\x00\x00binary keystore");
    let sha = r.commit_all("add keystore");
    let f = r.json(&["history"], 1);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["rule"], "pkcs12-file");
    assert_eq!(f[0]["commit"], sha.as_str());
    r.write("certs/new.pfx", b"\x30\x82\x00\x01other");
    r.git(&["add", "-A"]);
    let f = r.json(&["staged"], 1);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["path"], "certs/new.pfx");
}

/// History scans each distinct blob once, but what a path allows differs
/// from path to path: a blob first committed under an allowed path and
/// copied elsewhere later is a leak there, and its copy under an allowed
/// path is not.
#[test]
fn path_allowlists_apply_to_every_path_a_blob_takes_in_history() {
    let r = Repo::new();
    r.write(".keygate.toml", "[allowlist]\npaths = [\"fixtures/\"]\n");
    r.write("tests/fixtures/aws.ini", key_line(KEY_A));
    r.write("conf/real.ini", key_line(KEY_B));
    r.commit_all("fixture and real key");
    let f = r.json(&["history"], 1);
    assert_eq!(summary(&f)[0].0, "conf/real.ini");
    assert_eq!(f.len(), 1, "{f:?}");

    // The fixture's content (same blob) reaches a real config file, and the
    // real key's (same blob) reaches the fixtures.
    r.write("conf/copied.ini", key_line(KEY_A));
    r.write("tests/fixtures/real-copy.ini", key_line(KEY_B));
    let copy = r.commit_all("copies");
    let f = r.json(&["history"], 1);
    let paths: Vec<&str> = f.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["conf/copied.ini", "conf/real.ini"], "{f:?}");
    let copied = &f[0];
    assert_eq!(copied["commit"], copy.as_str());

    // The same holds for a path-only rule: a keystore committed under
    // another name and then renamed to .p12 is reported under that name.
    r.write(
        ".gitleaks.toml",
        "[extend]\nuseDefault = true\n[[rules]]\nid = \"pkcs12-file\"\npath = '''(?i)\\.p12$'''\n",
    );
    r.write("certs/store.bin", b"\x30\x82\x00\x00binary keystore");
    r.commit_all("keystore");
    r.git(&["mv", "certs/store.bin", "certs/prod.p12"]);
    let renamed = r.commit("rename");
    let f = r.json(&["history", "--config", ".gitleaks.toml"], 1);
    let p12: Vec<_> = f.iter().filter(|f| f["rule"] == "pkcs12-file").collect();
    assert_eq!(p12.len(), 1, "{f:?}");
    assert_eq!(p12[0]["path"], "certs/prod.p12");
    assert_eq!(p12[0]["commit"], renamed.as_str());
}
