//! Baselines: `--write-baseline` accepts what exists, `--baseline` reports
//! only what is new, `--baseline-prune` drops entries that match nothing.

mod common;

use common::*;
use predicates::prelude::*;
use tempfile::TempDir;

const KEY2: &str = "AKIAZ7YV3MQTB2KR4PLW";
const KEY3: &str = "ABIAQ3EGRKW7X2Z5NDPL";

fn project() -> TempDir {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "config/.env",
        format!("A=1\nAWS_ACCESS_KEY_ID={AKID}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"),
    );
    write(dir.path(), "src/old.py", format!("KEY = '{KEY2}'\n"));
    dir
}

fn write_baseline(dir: &TempDir, extra: &[&str]) -> Vec<u8> {
    let file = dir.path().join(".keygate-baseline");
    keygate()
        .args(["scan", dir.path().to_str().unwrap(), "--write-baseline"])
        .arg(&file)
        .args(extra)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("AKIA").not())
        .stderr(predicate::str::contains("wrote 3 baseline entries"));
    std::fs::read(file).unwrap()
}

fn scan_with_baseline(dir: &TempDir, extra: &[&str]) -> (i32, Vec<serde_json::Value>, String) {
    let file = dir.path().join(".keygate-baseline");
    let mut args = vec![
        "scan",
        dir.path().to_str().unwrap(),
        "--show-secrets",
        "--baseline",
        file.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    scan_json(&args)
}

#[test]
fn adopt_in_two_commands_then_only_new_findings_are_reported() {
    let dir = project();
    write_baseline(&dir, &[]);
    let (code, findings, stderr) = scan_with_baseline(&dir, &[]);
    assert_eq!((code, findings.len()), (0, 0), "{stderr}");
    assert!(stderr.contains("3 findings in baseline"), "{stderr}");

    write(dir.path(), "src/new.py", format!("KEY = '{KEY3}'\n"));
    let (code, findings, _) = scan_with_baseline(&dir, &[]);
    assert_eq!((code, findings.len()), (1, 1));
    assert_eq!(findings[0]["secret"], KEY3);
}

#[test]
fn moving_a_secret_does_not_resurrect_it() {
    let dir = project();
    write_baseline(&dir, &[]);
    write(
        dir.path(),
        "config/.env",
        format!("# moved\n\n\n\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\nB=2\n  AWS_ACCESS_KEY_ID = {AKID}\n"),
    );
    let (code, findings, stderr) = scan_with_baseline(&dir, &[]);
    assert_eq!((code, findings.len()), (0, 0), "{stderr} {findings:?}");
}

#[test]
fn a_different_secret_on_a_baselined_line_is_reported() {
    let dir = project();
    write_baseline(&dir, &[]);
    // Same file, same line, same rule: only the key changed.
    write(dir.path(), "src/old.py", format!("KEY = '{KEY3}'\n"));
    let (code, findings, _) = scan_with_baseline(&dir, &[]);
    assert_eq!((code, findings.len()), (1, 1));
    assert_eq!(findings[0]["secret"], KEY3);
    assert_eq!(findings[0]["line"], 1);
}

#[test]
fn the_baseline_is_sorted_stable_and_holds_no_secrets_or_line_numbers() {
    let dir = project();
    for i in 0..12 {
        write(
            dir.path(),
            &format!("many/f{i:02}.env"),
            format!("k={KEY3}\n"),
        );
    }
    let file = dir.path().join(".keygate-baseline");
    let first = {
        keygate()
            .args(["scan", dir.path().to_str().unwrap(), "--write-baseline"])
            .arg(&file)
            .assert()
            .code(0);
        std::fs::read(&file).unwrap()
    };
    let again = {
        keygate()
            .args([
                "scan",
                dir.path().to_str().unwrap(),
                "--threads",
                "1",
                "--write-baseline",
            ])
            .arg(&file)
            .assert()
            .code(0);
        std::fs::read(&file).unwrap()
    };
    assert_eq!(first, again, "the same findings give the same bytes");
    let text = String::from_utf8(first).unwrap();
    for secret in [AKID, AWS_SECRET, KEY2, KEY3] {
        assert!(!text.contains(secret), "baseline leaks {secret}");
        assert!(
            !text.contains(&secret[..8]),
            "baseline leaks a prefix of {secret}"
        );
    }
    let entries: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(entries.len(), 15);
    let mut sorted = entries.clone();
    sorted.sort_by_key(|l| {
        let f: Vec<&str> = l.splitn(3, ' ').collect();
        (f[2], f[1], f[0])
    });
    assert_eq!(entries, sorted, "sorted by path, rule, fingerprint");
    for e in &entries {
        let fields: Vec<&str> = e.split(' ').collect();
        assert_eq!(fields.len(), 3, "{e}");
        assert_eq!(fields[0].len(), 32);
        assert!(
            !fields[2].starts_with('/') && !fields[2].starts_with("./"),
            "{e}"
        );
        assert!(!fields[2].contains(':'), "no line numbers: {e}");
    }
    assert!(text.contains(" aws-access-key-id config/.env\n"), "{text}");
    // Independent of how the root is spelled on the command line.
    keygate()
        .current_dir(dir.path())
        .args(["scan", ".", "--write-baseline", ".keygate-baseline"])
        .assert()
        .code(0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
}

#[test]
fn stale_entries_are_reported_and_pruned() {
    let dir = project();
    let original = write_baseline(&dir, &[]);
    // The old key is gone.
    write(dir.path(), "src/old.py", "KEY = os.environ['KEY']\n");
    let (code, findings, stderr) = scan_with_baseline(&dir, &[]);
    assert_eq!((code, findings.len()), (0, 0), "{stderr}");
    assert!(
        stderr.contains("1 baseline entry in") && stderr.contains("match no finding"),
        "{stderr}"
    );
    let file = dir.path().join(".keygate-baseline");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        original,
        "not rewritten without --baseline-prune"
    );

    let (code, _, stderr) = scan_with_baseline(&dir, &["--baseline-prune"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("removed stale entry"), "{stderr}");
    assert!(stderr.contains("aws-access-key-id src/old.py"), "{stderr}");
    let pruned = std::fs::read_to_string(&file).unwrap();
    assert_eq!(pruned.lines().filter(|l| !l.starts_with('#')).count(), 2);
    assert!(!pruned.contains("src/old.py"));
    // Nothing stale any more: a second prune leaves the file alone.
    let (_, _, stderr) = scan_with_baseline(&dir, &["--baseline-prune"]);
    assert!(!stderr.contains("stale"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), pruned);
}

#[test]
fn baseline_errors() {
    let dir = project();
    let p = dir.path().to_str().unwrap();
    keygate()
        .args(["scan", p, "--baseline-prune"])
        .assert()
        .code(2);
    keygate()
        .args(["scan", p, "--baseline", "/no/such/baseline"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "/no/such/baseline: cannot read baseline",
        ));
    write(dir.path(), "bad-baseline", "# ok\nnot an entry\n");
    let bad = dir.path().join("bad-baseline");
    keygate()
        .args(["scan", p, "--baseline"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "bad-baseline:2: not a baseline entry",
        ));
}
