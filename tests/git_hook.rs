//! `keygate hook install|uninstall` and the hook script itself.

mod git_util;

use std::path::{Path, PathBuf};

use git_util::*;

fn keygate_bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("keygate")
}

/// `git commit` through the installed hook, with KEYGATE pointing at the
/// binary under test.
fn commit_through_hook(r: &Repo, dir: &Path, msg: &str) -> std::process::Output {
    let mut cmd = r.git_cmd_in(dir, &["commit", "-q", "-m", msg]);
    cmd.env("KEYGATE", keygate_bin()).output().unwrap()
}

#[test]
fn install_blocks_secrets_and_passes_clean_commits() {
    let r = Repo::new();
    let out = r.keygate(&["hook", "install"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let hook = r.dir.join(".git/hooks/pre-commit");
    let text = std::fs::read_to_string(&hook).unwrap();
    assert!(text.contains("keygate-managed-hook"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&hook).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "hook is not executable");
    }
    assert!(stdout(&out).contains(&hook.display().to_string()));

    r.write("clean.txt", "nothing to see\n");
    r.git(&["add", "clean.txt"]);
    let out = commit_through_hook(&r, &r.dir, "clean");
    assert!(out.status.success(), "{}", stderr(&out));

    r.write("leak.env", key_line(KEY_A));
    r.git(&["add", "leak.env"]);
    let out = commit_through_hook(&r, &r.dir, "leak");
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("keygate blocked this commit"), "{err}");
    assert!(
        err.contains("keygate:allow") && err.contains("--no-verify"),
        "{err}"
    );
    assert_eq!(r.git(&["log", "--format=%s", "-1"]), "clean");

    // `git commit -a` stages through a temporary index: still checked.
    r.git(&["reset", "-q"]);
    r.write("clean.txt", format!("nothing to see\n{}", key_line(KEY_B)));
    let mut cmd = r.git_cmd_in(&r.dir, &["commit", "-q", "-a", "-m", "sneaky"]);
    let out = cmd.env("KEYGATE", keygate_bin()).output().unwrap();
    assert!(!out.status.success(), "commit -a was not blocked");
    assert!(
        stderr(&out).contains("keygate blocked this commit"),
        "{}",
        stderr(&out)
    );

    // Installing again is a no-op.
    let out = r.keygate(&["hook", "install"]);
    assert!(
        stdout(&out).contains("already installed"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn hook_reports_a_missing_binary() {
    let r = Repo::new();
    r.keygate(&["hook", "install"]);
    r.write("a.txt", "a\n");
    r.git(&["add", "a.txt"]);
    let mut cmd = r.git_cmd_in(&r.dir, &["commit", "-q", "-m", "x"]);
    let out = cmd.env("KEYGATE", "/nonexistent/keygate").output().unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("was not found"), "{}", stderr(&out));
}

#[test]
fn install_honours_core_hooks_path() {
    let r = Repo::new();
    r.git(&["config", "core.hooksPath", ".githooks"]);
    let out = r.keygate(&["hook", "install"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(r.dir.join(".githooks/pre-commit").exists());
    assert!(!r.dir.join(".git/hooks/pre-commit").exists());
    // Run from a subdirectory: still relative to the working tree root.
    std::fs::create_dir(r.dir.join("sub")).unwrap();
    let out = r.keygate_in(&r.dir.join("sub"), &["hook", "uninstall"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!r.dir.join(".githooks/pre-commit").exists());

    // An absolute hooksPath (e.g. set globally).
    let abs = r.home().join("global-hooks");
    r.git(&["config", "core.hooksPath", abs.to_str().unwrap()]);
    r.keygate(&["hook", "install"]);
    assert!(abs.join("pre-commit").exists());
    r.write("leak.env", key_line(KEY_A));
    r.git(&["add", "leak.env"]);
    assert!(!commit_through_hook(&r, &r.dir, "leak").status.success());
}

#[test]
fn install_refuses_a_foreign_hook_without_force() {
    let r = Repo::new();
    let hook = r.dir.join(".git/hooks/pre-commit");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::fs::write(&hook, "#!/bin/sh\nexec make lint\n").unwrap();
    let out = r.keygate(&["hook", "install"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("not keygate's") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\nexec make lint\n"
    );

    // Uninstall leaves a foreign hook alone too.
    let out = r.keygate(&["hook", "uninstall"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(hook.exists());

    let out = r.keygate(&["hook", "install", "--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("pre-commit.keygate-backup"));
    let backup = r.dir.join(".git/hooks/pre-commit.keygate-backup");
    assert_eq!(
        std::fs::read_to_string(&backup).unwrap(),
        "#!/bin/sh\nexec make lint\n"
    );
    assert!(std::fs::read_to_string(&hook)
        .unwrap()
        .contains("keygate-managed-hook"));

    let out = r.keygate(&["hook", "uninstall"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!hook.exists());
    assert!(stdout(&out).contains("keygate-backup"), "{}", stdout(&out));
    // Nothing left to remove is not an error.
    let out = r.keygate(&["hook", "uninstall"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("nothing to remove"));
}

#[test]
fn worktrees_share_the_main_hooks_directory() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.commit_all("init");
    let wt = r.home().join("wt");
    r.git(&["worktree", "add", "-q", wt.to_str().unwrap(), "-b", "other"]);
    let out = r.keygate_in(&wt, &["hook", "install"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(r.dir.join(".git/hooks/pre-commit").exists());
    std::fs::write(wt.join("leak.env"), key_line(KEY_A)).unwrap();
    r.git_in(&wt, &["add", "leak.env"]);
    let out = commit_through_hook(&r, &wt, "leak in worktree");
    assert!(!out.status.success(), "{}", stderr(&out));
}

#[test]
fn hook_outside_a_repository_fails() {
    let r = Repo::new();
    let out = r.keygate_in(r.home(), &["hook", "install"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a git repository"));
}
