//! Hostile repositories: corrupt loose objects, truncated packs, shallow
//! and bare clones. The rest of the history is scanned, the bad object is
//! named, and the exit code is 2 unless `--ignore-errors`. Plus consistency:
//! `scan` and `history` agree on the same files, and thread count never
//! changes the output.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;
use tempfile::TempDir;

const GH: &str = "ghp_C3J27XDCG2LmlZGEONYlgCtjfIZ4SOcMz9CP"; // keygate:allow

fn history(repo: &Path, extra: &[&str]) -> (i32, Vec<serde_json::Value>, String) {
    let mut args = vec!["history", repo.to_str().unwrap(), "--no-progress"];
    args.extend_from_slice(extra);
    scan_json(&args)
}

/// Two commits: `a.env` (AWS key) then `b.env` (GitHub token).
fn two_commit_repo() -> TempDir {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "a.env", format!("AWS_ACCESS_KEY_ID={AKID}\n"));
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "a"]);
    write(d, "b.env", format!("GITHUB_TOKEN={GH}\n"));
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "b"]);
    dir
}

fn rules(findings: &[serde_json::Value]) -> BTreeSet<String> {
    findings
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

fn blob_id(repo: &Path, path: &str) -> String {
    git(repo, &["rev-parse", &format!("HEAD:{path}")])
        .trim()
        .to_string()
}

#[test]
fn corrupt_loose_object_is_named_and_the_rest_is_scanned() {
    let dir = two_commit_repo();
    let d = dir.path();
    let id = blob_id(d, "b.env");
    let obj = d.join(".git/objects").join(&id[..2]).join(&id[2..]);
    let mut perms = std::fs::metadata(&obj).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&obj, perms).unwrap();
    std::fs::write(&obj, b"this is not zlib data").unwrap();
    let (code, findings, stderr) = history(d, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        rules(&findings).contains("aws-access-key-id"),
        "{findings:?}"
    );
    assert!(stderr.contains(&id[..7]), "names the object: {stderr}");
    let (code, _, stderr) = history(d, &["--ignore-errors"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("could not be scanned"), "{stderr}");
}

#[test]
fn truncated_pack_is_an_error_and_loose_history_is_still_scanned() {
    let dir = two_commit_repo();
    let d = dir.path();
    git(d, &["gc", "-q"]);
    // A third commit stays loose.
    write(d, "c.env", format!("AWS_ACCESS_KEY_ID={AKID}\nx\n"));
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "c"]);
    let pack_dir = d.join(".git/objects/pack");
    let pack = std::fs::read_dir(&pack_dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "pack"))
        .unwrap();
    let len = std::fs::metadata(&pack).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&pack).unwrap();
    f.set_len(len / 2).unwrap();
    let parent = git(d, &["rev-parse", "HEAD~1"]).trim().to_string();
    let (code, findings, stderr) = history(d, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("keygate: error: {parent}: cannot read commit")),
        "{stderr}"
    );
    let paths: Vec<&str> = findings
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["c.env"], "the loose commit is scanned: {stderr}");
}

#[test]
fn shallow_clone_is_scanned_as_far_as_it_goes() {
    let origin = two_commit_repo();
    let clones = TempDir::new().unwrap();
    let shallow = clones.path().join("shallow");
    git(
        clones.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            &format!("file://{}", origin.path().display()),
            "shallow",
        ],
    );
    let (code, findings, stderr) = history(&shallow, &[]);
    assert_eq!(code, 1, "{stderr}");
    // The one commit there holds both files.
    assert_eq!(
        rules(&findings),
        BTreeSet::from(["aws-access-key-id".into(), "github-pat".into()]),
        "{stderr}"
    );
}

#[test]
fn bare_repository_is_scanned() {
    let origin = two_commit_repo();
    let clones = TempDir::new().unwrap();
    git(
        clones.path(),
        &[
            "clone",
            "-q",
            "--bare",
            origin.path().to_str().unwrap(),
            "bare.git",
        ],
    );
    let (code, findings, stderr) = history(&clones.path().join("bare.git"), &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(findings.len(), 2, "{findings:?}");
}

type Key = (String, String, u64, String);

fn keys(findings: &[serde_json::Value], root: &str) -> BTreeSet<Key> {
    findings
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            let path = path.strip_prefix(root).unwrap_or(path);
            (
                f["rule"].as_str().unwrap().to_string(),
                path.trim_start_matches('/').to_string(),
                f["line"].as_u64().unwrap(),
                f["secret"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn scan_and_history_agree_and_threads_do_not_change_output() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(
        d,
        "config/.env",
        format!("A=1\nAWS_ACCESS_KEY_ID={AKID}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"),
    );
    write(d, "src/app.js", format!("const t = \"{GH}\";\n"));
    for i in 0..30 {
        write(
            d,
            &format!("many/f{i}.txt"),
            format!("{}k={AKID}\n", "\n".repeat(i)),
        );
    }
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "all"]);
    let root = d.to_str().unwrap();
    let (_, scanned, e1) = scan_json(&["scan", root, "--show-secrets", "--no-config"]);
    let (_, hist, e2) = history(d, &["--show-secrets", "--no-config"]);
    assert!(!scanned.is_empty());
    assert_eq!(keys(&scanned, root), keys(&hist, root), "{e1}\n{e2}");

    for cmd in [vec!["scan", root], vec!["history", root, "--no-progress"]] {
        let run = |threads: &str| {
            keygate()
                .args(&cmd)
                .args(["--format", "json", "--threads", threads])
                .output()
                .unwrap()
                .stdout
        };
        assert_eq!(run("1"), run("8"), "{cmd:?}");
    }
}

/// A repository with 100,000 files: staged (first commit, everything added)
/// and history both scan every file and find every planted key.
#[test]
fn a_repository_of_100k_files_is_scanned_completely() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    for n in 0..100 {
        let sub = d.join(format!("d{n:03}"));
        std::fs::create_dir(&sub).unwrap();
        for f in 0..1000 {
            let content = if f == 500 && n % 10 == 0 {
                format!("k={AKID}\n")
            } else {
                format!("x{f}\n")
            };
            std::fs::write(sub.join(format!("f{f}.txt")), content).unwrap();
        }
    }
    git(d, &["add", "."]);
    let repo = d.to_str().unwrap();
    let (code, findings, stderr) = scan_json(&["staged", "--repo", repo]);
    assert_eq!((code, findings.len()), (1, 10), "{stderr}");
    assert!(stderr.contains("100000 files"), "{stderr}");
    git(d, &["commit", "-q", "-m", "many"]);
    let (code, findings, stderr) = history(d, &[]);
    assert_eq!((code, findings.len()), (1, 10), "{stderr}");
}
