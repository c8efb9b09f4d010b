//! `keygate history`: attribution to the introducing commit, ranges,
//! shallow clones, and objects no ref reaches.

mod git_util;

use git_util::*;

#[test]
fn findings_carry_commit_provenance() {
    let r = Repo::new();
    r.write("README", "hello\n");
    r.commit_all("init");
    r.write("conf/aws.ini", format!("[default]\n{}", key_line(KEY_A)));
    let sha = r.commit_all("Add AWS config\n\nLonger body.");
    r.write("conf/aws.ini", "[default]\n");
    r.commit_all("Remove the key");
    let f = r.json(&["history"], 1);
    assert_eq!(f.len(), 1, "{f:?}");
    let f = &f[0];
    assert_eq!(f["path"], "conf/aws.ini");
    assert_eq!(f["line"], 2);
    assert_eq!(f["commit"], sha.as_str());
    assert_eq!(f["author"], "Alice Example");
    assert_eq!(f["email"], "alice@example.com");
    assert_eq!(f["message"], "Add AWS config");
    assert_eq!(f["later_commits"], 0);
    // The second git call of the repo's clock: EPOCH + 60 s, in +01:00.
    let date = f["date"].as_str().unwrap();
    assert!(date.ends_with("+01:00"), "{date}");
    assert!(date.starts_with("2023-11-1"), "{date}");
}

#[test]
fn a_secret_is_reported_once_at_the_commit_that_added_it() {
    let r = Repo::new();
    r.write("app.cfg", format!("x = 1\n{}", key_line(KEY_A)));
    let first = r.commit_all("add key");
    r.write("app.cfg", format!("x = 2\n{}", key_line(KEY_A)));
    r.commit_all("edit elsewhere");
    // The secret's own line changes; the secret does not.
    r.write(
        "app.cfg",
        format!("x = 2\naws_access_key_id = {KEY_A} # prod\n"),
    );
    r.commit_all("comment the key");
    r.write("other.txt", "unrelated\n");
    r.commit_all("unrelated");
    let f = r.json(&["history"], 1);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["commit"], first.as_str());
    assert_eq!(f[0]["later_commits"], 3);
}

#[test]
fn renames_do_not_report_a_secret_again() {
    let r = Repo::new();
    let body = format!("one\ntwo\n{}four\nfive\nsix\n", key_line(KEY_A));
    r.write("a/creds.txt", &body);
    let first = r.commit_all("add");
    std::fs::create_dir(r.dir.join("b")).unwrap();
    r.git(&["mv", "a/creds.txt", "b/creds.txt"]);
    r.commit("move");
    r.write("b/creds.txt", format!("{body}seven\n"));
    r.git(&["mv", "b/creds.txt", "b/credentials.txt"]);
    r.commit_all("move and edit");
    let f = r.json(&["history"], 1);
    assert_eq!(summary(&f), vec![("a/creds.txt".into(), 3, "add".into())]);
    assert_eq!(f[0]["commit"], first.as_str());
}

#[test]
fn merges_attribute_to_the_branch_commit_and_evil_merges_to_the_merge() {
    let r = Repo::new();
    r.write("base.txt", "base\n");
    r.commit_all("base");
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.write("feature.env", key_line(KEY_A));
    let feature = r.commit_all("feature adds key");
    r.git(&["checkout", "-q", "main"]);
    r.write("main.txt", "main work\n");
    r.commit_all("main work");
    r.git(&["merge", "-q", "--no-ff", "--no-edit", "feature"]);
    // A merge that adds its own secret while resolving.
    r.git(&["checkout", "-q", "-b", "side", "HEAD~1"]);
    r.write("side.txt", "side\n");
    r.commit_all("side work");
    r.git(&["checkout", "-q", "main"]);
    r.git(&["merge", "-q", "--no-ff", "--no-commit", "side"]);
    r.write("merge.env", key_line(KEY_B));
    r.git(&["add", "merge.env"]);
    let merge = r.commit("evil merge");
    let f = r.json(&["history", "--show-secrets"], 1);
    assert_eq!(f.len(), 2, "{f:?}");
    let by_secret = |k: &str| f.iter().find(|x| x["secret"] == k).unwrap().clone();
    let a = by_secret(KEY_A);
    assert_eq!(a["commit"], feature.as_str());
    assert_eq!(a["path"], "feature.env");
    assert!(a["later_commits"].as_u64().unwrap() >= 2, "{a}");
    let b = by_secret(KEY_B);
    assert_eq!(b["commit"], merge.as_str());
    assert_eq!(b["later_commits"], 0);
}

#[test]
fn binary_blobs_are_skipped() {
    let r = Repo::new();
    let mut blob = b"PK\x03\x04\x00\x00".to_vec();
    blob.extend_from_slice(key_line(KEY_A).as_bytes());
    r.write("archive.zip", blob);
    r.commit_all("binary");
    let out = r.keygate(&["history"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("skipped 1 binary"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn every_ref_is_scanned_branches_tags_and_stash() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.commit_all("init");
    r.git(&["checkout", "-q", "-b", "unmerged"]);
    r.write("branch.txt", key_line(KEY_A));
    r.commit_all("on a branch");
    r.git(&["tag", "v1"]);
    r.git(&["checkout", "-q", "main"]);
    r.git(&["branch", "-q", "-D", "unmerged"]); // only the tag keeps it now
    r.write("a.txt", format!("a\n{}", key_line(KEY_B)));
    r.git(&["stash", "-q"]);
    r.write("a.txt", format!("a\n{}", key_line(KEY_C)));
    r.git(&["stash", "-q"]); // the first stash is now only in the reflog
    let f = r.json(&["history", "--show-secrets"], 1);
    let mut secrets: Vec<&str> = f.iter().map(|x| x["secret"].as_str().unwrap()).collect();
    secrets.sort();
    let mut want = vec![KEY_A, KEY_B, KEY_C];
    want.sort();
    assert_eq!(secrets, want);
    // --branch limits the walk to one ref.
    assert!(r.json(&["history", "--branch", "main"], 0).is_empty());
    assert_eq!(r.json(&["history", "--branch", "v1"], 1).len(), 1);
}

/// c1..c5 with a secret added in c2 and another in c4.
fn five_commits(r: &Repo) -> Vec<String> {
    let mut shas = Vec::new();
    for i in 1..=5 {
        let mut body = format!("version {i}\n");
        if i >= 2 {
            body.push_str(&key_line(KEY_A));
        }
        if i >= 4 {
            body.push_str(&key_line(KEY_B));
        }
        r.write("f.txt", body);
        shas.push(r.commit_all(&format!("c{i}")));
    }
    shas
}

#[test]
fn ranges_scan_only_their_commits() {
    let r = Repo::new();
    let c = five_commits(&r);
    let f = r.json(
        &[
            "history",
            "--range",
            &format!("{}..HEAD", c[2]),
            "--show-secrets",
        ],
        1,
    );
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["secret"], KEY_B);
    assert_eq!(f[0]["commit"], c[3].as_str());
    assert_eq!(f[0]["later_commits"], 1);
    let f = r.json(&["history", "--since-commit", &c[0], "--show-secrets"], 1);
    assert_eq!(f.len(), 2);
    let f = r.json(&["history", "--range", &format!("{}..{}", c[3], c[4])], 0);
    assert!(f.is_empty());
    // An empty range is a clean scan of zero commits, not an error.
    let out = r.keygate(&["history", "--range", "HEAD..HEAD"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("0 commits"), "{}", stderr(&out));
}

#[test]
fn a_missing_base_is_an_error_not_an_empty_scan() {
    let r = Repo::new();
    five_commits(&r);
    let out = r.keygate(&[
        "history",
        "--range",
        "0123456789abcdef0123456789abcdef01234567..HEAD",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("base") && err.contains("not in this repository"),
        "{err}"
    );
    let out = r.keygate(&["history", "--range", "main"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("BASE..TIP"));
}

#[test]
fn ranges_work_on_shallow_clones() {
    let r = Repo::new();
    let c = five_commits(&r);
    let url = format!("file://{}", r.dir.display());
    r.git_in(r.home(), &["clone", "-q", "--depth", "3", &url, "shallow"]);
    let clone = r.home().join("shallow");
    let run = |args: &[&str]| r.keygate_in(&clone, args);

    // c3..c5 are present: the range c3..HEAD works.
    let out = run(&[
        "history",
        "--range",
        &format!("{}..HEAD", c[2]),
        "-f",
        "json",
        "--show-secrets",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let f: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["secret"], KEY_B);
    assert_eq!(f[0]["commit"], c[3].as_str());

    // c1 is not: say so, exit 2.
    let out = run(&["history", "--range", &format!("{}..HEAD", c[0])]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("shallow clone"), "{err}");
    assert!(err.contains("nothing was scanned"), "{err}");
    let out = run(&["history", "--range", "HEAD~3..HEAD"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // A full audit of the clone scans what is there; the boundary commit
    // counts as adding its whole tree.
    let out = run(&["history", "-f", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let f: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(f.len(), 2);
    assert!(f.iter().any(|x| x["commit"] == c[2].as_str()));
}

#[test]
fn all_objects_finds_what_no_ref_reaches() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.commit_all("init");
    // A blob that was written but never committed (loose).
    let mut cmd = r.git_cmd_in(&r.dir, &["hash-object", "-w", "--stdin"]);
    let loose = run_with_stdin(&mut cmd, key_line(KEY_A).as_bytes())
        .trim()
        .to_string();
    // A blob only in a pack, referenced by nothing.
    let mut cmd = r.git_cmd_in(&r.dir, &["hash-object", "-w", "--stdin"]);
    let packed = run_with_stdin(&mut cmd, format!("x\n{}", key_line(KEY_B)).as_bytes())
        .trim()
        .to_string();
    let mut cmd = r.git_cmd_in(&r.dir, &["pack-objects", "-q", ".git/objects/pack/pack"]);
    run_with_stdin(&mut cmd, format!("{packed}\n").as_bytes());
    r.git(&["prune-packed"]);
    assert!(!r
        .dir
        .join(".git/objects")
        .join(&packed[..2])
        .join(&packed[2..])
        .exists());
    // A commit dropped from every ref and reflog.
    r.write("dropped.txt", key_line(KEY_C));
    let dropped = r.commit_all("dropped");
    r.git(&["reset", "-q", "--hard", "HEAD~1"]);
    r.git(&["reflog", "expire", "--expire=now", "--all"]);

    assert!(r.json(&["history"], 0).is_empty());
    let f = r.json(&["history", "--all-objects", "--show-secrets"], 1);
    assert_eq!(f.len(), 3, "{f:?}");
    let by_secret = |k: &str| f.iter().find(|x| x["secret"] == k).unwrap().clone();
    assert_eq!(
        by_secret(KEY_A)["path"],
        format!("unreachable:{loose}").as_str()
    );
    assert!(by_secret(KEY_A).get("commit").is_none());
    assert_eq!(
        by_secret(KEY_B)["path"],
        format!("unreachable:{packed}").as_str()
    );
    assert_eq!(by_secret(KEY_B)["line"], 2);
    assert_eq!(by_secret(KEY_C)["path"], "dropped.txt");
    assert_eq!(by_secret(KEY_C)["commit"], dropped.as_str());
}

#[test]
fn sarif_points_at_the_introducing_commit() {
    let r = Repo::new();
    r.write("x.txt", "x\n");
    r.commit_all("init");
    r.write("x.txt", format!("x\n{}", key_line(KEY_A)));
    let sha = r.commit_all("leak");
    r.write("x.txt", "x\n");
    r.commit_all("fix");
    let out = r.keygate(&["history", "-f", "sarif"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let res = &doc["runs"][0]["results"][0];
    let loc = &res["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "x.txt");
    assert_eq!(loc["region"]["startLine"], 2);
    assert_eq!(
        loc["artifactLocation"]["properties"]["commit"],
        sha.as_str()
    );
    assert_eq!(res["properties"]["commit"], sha.as_str());
    assert_eq!(res["properties"]["author"], "Alice Example");
}

#[test]
fn no_progress_bar_when_not_a_terminal() {
    let r = Repo::new();
    r.write("x.txt", "x\n");
    r.commit_all("init");
    let out = r.keygate(&["history"]);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("keygate: scanned 1 commit, 1 files"),
        "{err}"
    );
}

#[test]
fn empty_and_bare_repositories() {
    let r = Repo::new();
    let out = r.keygate(&["history"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("0 commits"), "{}", stderr(&out));

    r.write("a.txt", key_line(KEY_A));
    r.commit_all("leak");
    r.git_in(
        r.home(),
        &["clone", "-q", "--bare", r.dir.to_str().unwrap(), "bare.git"],
    );
    let out = r.keygate_in(r.home(), &["history", "bare.git"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // `staged` needs an index.
    let out = r.keygate_in(&r.home().join("bare.git"), &["staged"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bare repository"), "{}", stderr(&out));
}

#[test]
fn large_blobs_are_skipped_with_a_warning() {
    let r = Repo::new();
    let mut big = "x\n".repeat(2000);
    big.push_str(&key_line(KEY_A));
    r.write("big.txt", &big);
    r.commit_all("v1");
    r.write("big.txt", format!("{big}y\n"));
    r.commit_all("v2");
    let out = r.keygate(&["history", "--max-file-size", "1K"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.matches("warning: big.txt: skipped").count(), 1, "{err}");
    assert!(err.contains("skipped 2 too large"), "{err}");
}

#[test]
fn utf16_files_are_scanned_as_text() {
    let r = Repo::new();
    let text = format!("first line\r\n{}", key_line(KEY_A));
    let mut bytes = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    r.write("setup.ps1", &bytes);
    r.git(&["add", "setup.ps1"]);
    let f = r.json(&["staged"], 1);
    assert_eq!(summary(&f), vec![("setup.ps1".into(), 2, String::new())]);
    r.commit("utf-16");
    let f = r.json(&["history"], 1);
    assert_eq!(summary(&f), vec![("setup.ps1".into(), 2, "utf-16".into())]);
}
