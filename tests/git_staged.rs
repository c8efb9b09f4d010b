//! `keygate staged`: only the lines the next commit adds, read from the
//! index.

mod git_util;

use git_util::*;

#[test]
fn first_commit_is_scanned_against_the_empty_tree() {
    let r = Repo::new();
    r.write("config.ini", format!("[aws]\n{}", key_line(KEY_A)));
    r.git(&["add", "config.ini"]);
    let out = r.keygate(&["staged"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("config.ini"));
    assert!(
        stderr(&out).contains("staged changes: 1 files"),
        "{}",
        stderr(&out)
    );
    let f = r.json(&["staged"], 1);
    assert_eq!(summary(&f), vec![("config.ini".into(), 2, String::new())]);
    assert!(f[0].get("commit").is_none());
}

#[test]
fn nothing_staged_scans_nothing_and_says_so() {
    let r = Repo::new();
    r.write("a.txt", "hello\n");
    r.commit_all("init");
    let out = r.keygate(&["staged"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("staged changes: 0 files (0 B)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn partial_staging_reads_the_index_not_the_working_tree() {
    let r = Repo::new();
    r.write("app.py", "a = 1\nb = 2\n");
    r.commit_all("init");

    // The working tree has a secret that is not staged: not reported.
    r.write("app.py", format!("a = 1\n{}b = 2\n", key_line(KEY_A)));
    assert!(r.json(&["staged"], 0).is_empty());

    // Stage a different version (as `git add -p` would): a secret on line 4
    // of the staged blob, which the working tree does not have at all.
    r.stage_content(
        "app.py",
        &format!("a = 1\nb = 2\nc = 3\n{}", key_line(KEY_B)),
    );
    let f = r.json(&["staged", "--show-secrets"], 1);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["line"], 4);
    assert_eq!(f[0]["secret"], KEY_B);
}

#[test]
fn only_added_lines_count() {
    let r = Repo::new();
    r.write("settings.env", format!("{}X=1\n", key_line(KEY_A)));
    r.commit_all("old secret");
    // An edit elsewhere in a file that already holds a secret.
    r.write("settings.env", format!("{}X=2\n", key_line(KEY_A)));
    r.git(&["add", "settings.env"]);
    assert!(r.json(&["staged"], 0).is_empty());
    // Deleting the secret line is not a finding either.
    r.write("settings.env", "X=2\n");
    r.git(&["add", "settings.env"]);
    assert!(r.json(&["staged"], 0).is_empty());
    // A new secret below the old one is, at its new line number.
    r.write(
        "settings.env",
        format!("{}X=2\n{}", key_line(KEY_A), key_line(KEY_B)),
    );
    r.git(&["add", "settings.env"]);
    let f = r.json(&["staged"], 1);
    assert_eq!(summary(&f), vec![("settings.env".into(), 3, String::new())]);
}

#[test]
fn renames_and_mode_changes_are_not_noise() {
    let r = Repo::new();
    let body = format!(
        "line one\nline two\n{}line four\nline five\n",
        key_line(KEY_A)
    );
    r.write("old/creds.txt", &body);
    r.write("run.sh", "echo hi\n");
    r.commit_all("init");
    std::fs::create_dir(r.dir.join("new")).unwrap();
    r.git(&["mv", "old/creds.txt", "new/creds.txt"]);
    r.git(&["update-index", "--chmod=+x", "run.sh"]);
    assert!(r.json(&["staged"], 0).is_empty());
    // A rename with an edit reports only the edit.
    r.write("new/creds.txt", format!("{body}{}", key_line(KEY_C)));
    r.git(&["add", "-A"]);
    let f = r.json(&["staged"], 1);
    assert_eq!(
        summary(&f),
        vec![("new/creds.txt".into(), 6, String::new())]
    );
}

#[test]
fn deletions_binaries_symlinks_and_submodules_are_skipped() {
    let r = Repo::new();
    r.write("gone.txt", key_line(KEY_A));
    r.commit_all("init");
    r.git(&["rm", "-q", "gone.txt"]);
    let mut blob = b"\x00\x01binary".to_vec();
    blob.extend_from_slice(key_line(KEY_B).as_bytes());
    r.write("image.bin", blob);
    r.git(&["add", "image.bin"]);
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(KEY_C, r.dir.join("link")).unwrap();
        r.git(&["add", "link"]);
    }
    let head = r.git(&["rev-parse", "HEAD"]);
    r.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{head},vendor/sub"),
    ]);
    let out = r.keygate(&["staged"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("skipped 1 binary"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn secret_added_then_removed_in_history_is_not_staged() {
    let r = Repo::new();
    r.write("a.txt", key_line(KEY_A));
    r.commit_all("add");
    r.write("a.txt", "clean\n");
    r.commit_all("remove");
    assert!(r.json(&["staged"], 0).is_empty());
    let h = r.json(&["history"], 1);
    assert_eq!(summary(&h), vec![("a.txt".into(), 1, "add".into())]);
}

#[test]
fn repo_option_and_subdirectories() {
    let r = Repo::new();
    r.write("deep/dir/x.txt", key_line(KEY_A));
    r.git(&["add", "-A"]);
    let out = r.keygate_in(&r.dir.join("deep"), &["staged", "-f", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("\"deep/dir/x.txt\""));
    let out = r.keygate_in(r.home(), &["staged", "--repo", r.dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn outside_a_repository_is_an_error() {
    let r = Repo::new();
    let out = r.keygate_in(r.home(), &["staged"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a git repository"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn commit_all_uses_the_hook_index() {
    // `git commit -a` hands hooks a temporary index in GIT_INDEX_FILE.
    let r = Repo::new();
    r.write("a.txt", "clean\n");
    r.commit_all("init");
    r.write("a.txt", format!("clean\n{}", key_line(KEY_A)));
    let idx = r.tmp.path().join("tmp-index");
    std::fs::copy(r.dir.join(".git/index"), &idx).unwrap();
    let mut add = r.git_cmd_in(&r.dir, &["add", "a.txt"]);
    add.env("GIT_INDEX_FILE", &idx);
    assert!(add.status().unwrap().success());
    // The real index is clean; the temporary one has the secret.
    assert!(r.json(&["staged"], 0).is_empty());
    let mut cmd = assert_cmd::Command::cargo_bin("keygate").unwrap();
    isolate_assert(&mut cmd, &r);
    cmd.current_dir(&r.dir)
        .env("GIT_INDEX_FILE", &idx)
        .arg("staged")
        .assert()
        .code(1);
}

fn isolate_assert(cmd: &mut assert_cmd::Command, r: &Repo) {
    cmd.env("HOME", r.home())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", r.home().join(".gitconfig"))
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE");
}
