//! The real pre-commit framework (https://pre-commit.com) using this
//! repository's `.pre-commit-hooks.yaml` as a hook source.
//!
//! Needs the `pre-commit` executable: `PRE_COMMIT_BIN`, or `pre-commit` on
//! PATH. Without it the test is skipped with a note, except under CI=true,
//! where it fails. The framework builds keygate with `cargo install`
//! (`language: rust`); the build is cached in PRE_COMMIT_HOME (or under the
//! cargo target directory), so only the first run is slow.

mod git_util;

use std::path::{Path, PathBuf};
use std::process::Command;

use git_util::*;

fn pre_commit_bin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PRE_COMMIT_BIN").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("pre-commit"))
        .find(|p| p.is_file())
}

/// The crate's files, as git would ship them (tracked plus untracked, not
/// ignored), so the hook source is exactly the code under test.
fn source_files(root: &Path) -> Vec<PathBuf> {
    let out = Command::new("git")
        .current_dir(root)
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .output();
    if let Some(out) = out.ok().filter(|o| o.status.success()) {
        return out
            .stdout
            .split(|&b| b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
            .filter(|p| root.join(p).is_file())
            .collect();
    }
    let mut files = Vec::new();
    for top in [
        "Cargo.toml",
        "Cargo.lock",
        "build.rs",
        ".pre-commit-hooks.yaml",
    ] {
        files.push(PathBuf::from(top));
    }
    for dir in ["src", "rules", "hooks", "benches"] {
        walk(root, Path::new(dir), &mut files);
    }
    files
}

fn walk(root: &Path, rel: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(root.join(rel)).unwrap() {
        let e = e.unwrap();
        let p = rel.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            walk(root, &p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn pre_commit_framework_blocks_secrets() {
    let Some(bin) = pre_commit_bin() else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "pre-commit is not installed: CI must `pip install pre-commit` and put it on \
                 PATH or set PRE_COMMIT_BIN"
            );
        }
        // Written to the real stderr (not the test harness's capture) so
        // the skip is visible in a normal `cargo test` run.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "note: skipping the pre-commit framework test: pre-commit is not installed \
             (pip install pre-commit, or set PRE_COMMIT_BIN)"
        );
        return;
    };
    // pre-commit's own cache: PRE_COMMIT_HOME when set (CI keeps it across
    // runs), else under the cargo target directory.
    let cache = match std::env::var_os("PRE_COMMIT_HOME").filter(|p| !p.is_empty()) {
        Some(home) => PathBuf::from(home),
        None => Path::new(env!("CARGO_TARGET_TMPDIR")).join("pre-commit"),
    };
    std::fs::create_dir_all(&cache).unwrap();
    let r = Repo::new();

    // The hook source: this crate's files committed at a fixed date, so the
    // same sources give the same revision and pre-commit reuses its build.
    let src = cache.join("keygate-hook-src");
    let _ = std::fs::remove_dir_all(&src);
    std::fs::create_dir_all(&src).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for f in source_files(root) {
        let to = src.join(&f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(root.join(&f), &to).unwrap();
    }
    let fixed = |args: &[&str]| {
        let mut cmd = Command::new("git");
        isolate(&mut cmd, r.home());
        let ok = cmd
            .current_dir(&src)
            .args(args)
            .env("GIT_AUTHOR_DATE", "1700000000 +0000")
            .env("GIT_COMMITTER_DATE", "1700000000 +0000")
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    };
    fixed(&["init", "-q", "-b", "main"]);
    fixed(&["add", "-A"]);
    fixed(&["commit", "-q", "--no-verify", "-m", "keygate under test"]);
    let rev = r.git_in(&src, &["rev-parse", "HEAD"]);

    r.write(
        ".pre-commit-config.yaml",
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: keygate\n",
            src.display()
        ),
    );
    r.commit_all("add pre-commit config");

    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let cargo_home = std::env::var_os("CARGO_HOME").map_or(home.join(".cargo"), PathBuf::from);
    let rustup_home = std::env::var_os("RUSTUP_HOME").map_or(home.join(".rustup"), PathBuf::from);
    let framework = |cmd: &mut Command| {
        cmd.env("PRE_COMMIT_HOME", &cache)
            .env("CARGO_HOME", &cargo_home)
            .env("RUSTUP_HOME", &rustup_home)
            // pre-commit builds with `cargo install` (a release build); a
            // persistent target dir and a cheap profile keep that short.
            .env("CARGO_TARGET_DIR", cache.join("keygate-cargo-target"))
            .env("CARGO_PROFILE_RELEASE_LTO", "false")
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
            .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
            .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "true");
    };
    let run = |args: &[&str]| {
        let mut cmd = Command::new(&bin);
        isolate(&mut cmd, r.home());
        framework(&mut cmd);
        let out = cmd.current_dir(&r.dir).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "pre-commit {args:?}: {}{}",
            stdout(&out),
            stderr(&out)
        );
    };
    run(&["install"]);
    run(&["install-hooks"]);

    let commit = |msg: &str| {
        let mut cmd = r.git_cmd_in(&r.dir, &["commit", "-q", "-m", msg]);
        framework(&mut cmd);
        cmd.output().unwrap()
    };
    r.write("notes.txt", "nothing secret here\n");
    r.git(&["add", "notes.txt"]);
    let out = commit("clean");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));

    r.write("deploy.env", key_line(KEY_A));
    r.git(&["add", "deploy.env"]);
    let out = commit("leak");
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!out.status.success(), "the secret was committed: {all}");
    assert!(
        all.contains("deploy.env") && all.contains("aws-access-key-id"),
        "{all}"
    );
    assert_eq!(r.git(&["log", "-1", "--format=%s"]), "clean");
}
