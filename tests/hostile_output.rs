//! Terminal escapes inside scanned content — in a file name, a secret, a
//! rule description, a commit's author or message — never reach the
//! terminal: text output and messages show them escaped, and the only escape
//! sequences keygate writes are its own colours.

mod common;

use common::*;
use tempfile::TempDir;

/// Sets the window title, rings the bell, clears the screen, and a C1 CSI.
const EVIL: &str = "\x1b]0;pwned\x07\x1b[2J\u{9b}31m\u{202e}";

/// Every ESC starts a colour (SGR) sequence, and nothing else can drive a
/// terminal: no BEL, no C1 control, no bidi override.
fn assert_inert(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for (i, c) in text.char_indices() {
        match c {
            '\x1b' => {
                let rest = &text[i + 1..];
                let sgr = rest.strip_prefix('[').and_then(|r| {
                    let end = r.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
                    r[end..].starts_with('m').then_some(())
                });
                assert!(sgr.is_some(), "{what}: raw escape at {i}: {text:?}");
            }
            '\n' | '\t' => {}
            c if c.is_control() => panic!("{what}: raw control {c:?}: {text:?}"),
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                panic!("{what}: raw bidi control {c:?}: {text:?}")
            }
            _ => {}
        }
    }
}

fn hostile_tree() -> TempDir {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        ".keygate.toml",
        r#"
[[rule]]
id = "evil-token"
description = "Evil token \u001b[2J\u0007"
keywords = ["evil_"]
regex = '''evil_(\S+)'''
"#,
    );
    write(
        dir.path(),
        &format!("name{EVIL}.txt"),
        format!("k = {AKID}\nt = evil_Zq8{EVIL}Xw3\n"),
    );
    dir
}

#[test]
fn text_output_of_a_scan_escapes_hostile_names_secrets_and_descriptions() {
    let dir = hostile_tree();
    for color in ["never", "always"] {
        let out = keygate()
            .args(["scan", dir.path().to_str().unwrap(), "--show-secrets"])
            .args(["--color", color])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert_inert("stdout", &out.stdout);
        assert_inert("stderr", &out.stderr);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(r"name\u{1b}]0;pwned\u{7}"), "{text}");
        assert!(text.contains(r"evil-token"), "{text}");
        assert!(text.contains(r"Zq8\u{1b}]0;pwned\u{7}"), "{text}");
    }
}

#[test]
fn json_output_escapes_control_characters() {
    let dir = hostile_tree();
    let out = keygate()
        .args(["scan", dir.path().to_str().unwrap(), "--show-secrets"])
        .args(["--format", "jsonl"])
        .output()
        .unwrap();
    // JSON escapes C0 controls itself; C1 and bidi controls are valid JSON
    // text and stay as they are (a JSON consumer gets the exact secret).
    assert!(!out.stdout.contains(&0x1b) && !out.stdout.contains(&0x07));
}

#[test]
fn history_text_output_escapes_hostile_commits() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(
        d,
        &format!("f{EVIL}.env"),
        format!("AWS_ACCESS_KEY_ID={AKID}\n"),
    );
    git(d, &["add", "."]);
    let status = std::process::Command::new("git")
        .args(["commit", "-q", "-m", &format!("add key {EVIL}")])
        .current_dir(d)
        .env("GIT_AUTHOR_NAME", format!("Eve{EVIL}"))
        .env("GIT_AUTHOR_EMAIL", format!("eve{EVIL}@example.org"))
        .env("GIT_COMMITTER_NAME", "Eve")
        .env("GIT_COMMITTER_EMAIL", "eve@example.org")
        .status()
        .unwrap();
    assert!(status.success());
    for color in ["never", "always"] {
        let out = keygate()
            .args(["history", d.to_str().unwrap(), "--no-progress"])
            .args(["--color", color])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert_inert("stdout", &out.stdout);
        assert_inert("stderr", &out.stderr);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(r"add key \u{1b}]0;pwned"), "{text}");
    }
}

#[test]
fn messages_about_hostile_config_files_are_escaped() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        ".keygate.toml",
        "disable = [\"no-such-rule\x1b]0;pwned\x07\"]\n",
    );
    let out = keygate()
        .args(["scan", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_inert("stderr", &out.stderr);
}
