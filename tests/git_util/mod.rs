//! Temporary git repositories for the git integration tests, built with the
//! git CLI under a fixed identity, fixed dates and no user or system config.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};

use assert_cmd::cargo::CommandCargoExt;
use tempfile::TempDir;

/// Valid-looking AWS access key ids (they pass the built-in rule).
pub const KEY_A: &str = "AKIAAU4PCZL6HT4DTCBS";
pub const KEY_B: &str = "AKIAQ3EGRKW7X2Z5NDPL";
pub const KEY_C: &str = "AKIALHLPDTBKB43A7GQS";

/// Base commit time; each commit is a minute later than the previous one.
pub const EPOCH: u64 = 1_700_000_000;

pub struct Repo {
    pub tmp: TempDir,
    pub dir: PathBuf,
    clock: AtomicU64,
}

/// Applies the isolating environment to any command (git or keygate).
pub fn isolate(cmd: &mut Command, home: &Path) {
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", home.join(".gitconfig"))
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_OBJECT_DIRECTORY")
        .env("GIT_AUTHOR_NAME", "Alice Example")
        .env("GIT_AUTHOR_EMAIL", "alice@example.com")
        .env("GIT_COMMITTER_NAME", "Alice Example")
        .env("GIT_COMMITTER_EMAIL", "alice@example.com")
        .env("NO_COLOR", "1");
}

impl Repo {
    /// A new repository with branch `main` in a fresh temporary directory.
    pub fn new() -> Repo {
        let tmp = TempDir::new().unwrap();
        let dir = tmp.path().join("repo");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(tmp.path().join(".gitconfig"), "").unwrap();
        let repo = Repo {
            tmp,
            dir,
            clock: AtomicU64::new(0),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo.git(&["config", "core.autocrlf", "false"]);
        repo
    }

    pub fn home(&self) -> &Path {
        self.tmp.path()
    }

    /// A git command in `dir` with the test environment (dates advance one
    /// minute per call).
    pub fn git_cmd_in(&self, dir: &Path, args: &[&str]) -> Command {
        let t = EPOCH + 60 * self.clock.fetch_add(1, Ordering::Relaxed);
        let date = format!("{t} +0100");
        let mut cmd = Command::new("git");
        isolate(&mut cmd, self.home());
        cmd.current_dir(dir)
            .args(args)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date);
        cmd
    }

    pub fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.git_cmd_in(dir, args).output().unwrap();
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    pub fn git(&self, args: &[&str]) -> String {
        self.git_in(&self.dir, args)
    }

    pub fn write(&self, path: &str, content: impl AsRef<[u8]>) {
        let p = self.dir.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(p, content).unwrap();
    }

    /// Stages everything and commits; returns the commit id.
    pub fn commit_all(&self, msg: &str) -> String {
        self.git(&["add", "-A"]);
        self.commit(msg)
    }

    /// Commits what is staged; returns the commit id.
    pub fn commit(&self, msg: &str) -> String {
        self.git(&["commit", "-q", "--allow-empty", "--no-verify", "-m", msg]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// Writes `content` into the object database and stages it at `path`
    /// without touching the working tree (what `git add -p` does).
    pub fn stage_content(&self, path: &str, content: &str) {
        let mut cmd = self.git_cmd_in(&self.dir, &["hash-object", "-w", "--stdin"]);
        let oid = run_with_stdin(&mut cmd, content.as_bytes());
        let info = format!("100644,{},{path}", oid.trim());
        self.git(&["update-index", "--add", "--cacheinfo", &info]);
    }

    /// keygate run in `dir` with the test environment.
    pub fn keygate_in(&self, dir: &Path, args: &[&str]) -> Output {
        let mut cmd = Command::cargo_bin("keygate").unwrap();
        isolate(&mut cmd, self.home());
        cmd.current_dir(dir).args(args).output().unwrap()
    }

    pub fn keygate(&self, args: &[&str]) -> Output {
        self.keygate_in(&self.dir, args)
    }

    /// `keygate <args> -f json`, parsed; asserts the exit code.
    pub fn json(&self, args: &[&str], code: i32) -> Vec<serde_json::Value> {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["-f", "json"]);
        let out = self.keygate(&all);
        assert_eq!(
            out.status.code(),
            Some(code),
            "keygate {all:?}: stdout {} stderr {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }
}

pub fn run_with_stdin(cmd: &mut Command, input: &[u8]) -> String {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A config-like line holding `key`.
pub fn key_line(key: &str) -> String {
    format!("aws_access_key_id = {key}\n")
}

/// The (path, line, commit-summary) of each finding, for compact asserts.
pub fn summary(findings: &[serde_json::Value]) -> Vec<(String, u64, String)> {
    findings
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}
