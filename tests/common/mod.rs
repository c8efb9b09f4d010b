//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod moto;

use std::path::Path;

use assert_cmd::Command;

/// A fake AWS key pair in the documented format (not real credentials).
pub const AKID: &str = "AKIAAU4PCZL6HT4DTCBS";
pub const AWS_SECRET: &str = "wkEJ3PEVVIPcP4Y7p4tD14z4gzM+jppZxO4z7Kdc";

pub fn keygate() -> Command {
    let mut cmd = Command::cargo_bin("keygate").unwrap();
    cmd.env_remove("KEYGATE_STS_ENDPOINT").env("NO_COLOR", "1");
    cmd
}

pub fn write(dir: &Path, rel: &str, content: impl AsRef<[u8]>) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

/// Runs `keygate ARGS --format json` and returns (exit code, findings).
pub fn scan_json(args: &[&str]) -> (i32, Vec<serde_json::Value>, String) {
    let out = keygate()
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (
        out.status.code().unwrap(),
        findings,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `git` in `dir` with a fixed identity and dates, panicking on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Alice Example")
        .env("GIT_AUTHOR_EMAIL", "alice@example.org")
        .env("GIT_COMMITTER_NAME", "Alice Example")
        .env("GIT_COMMITTER_EMAIL", "alice@example.org")
        .env("GIT_AUTHOR_DATE", "2024-01-02T03:04:05Z")
        .env("GIT_COMMITTER_DATE", "2024-01-02T03:04:05Z")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
