//! `keygate hook install|uninstall`: puts `hooks/pre-commit` (embedded in
//! the binary) into a repository's hooks directory, or takes it out.
//!
//! The hooks directory is the one git itself uses: `core.hooksPath` when
//! set (relative to the working tree root, or to the git directory of a
//! bare repository), else `hooks/` in the common git directory, which all
//! worktrees of a repository share. keygate's hook is recognised by
//! [`MARKER`]; a different existing hook is never overwritten without
//! `--force` (and is then kept as a backup), and never removed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use git2::Repository;

use crate::source::git::{self, GitError, Result};

/// The hook script.
pub const SCRIPT: &str = include_str!("../hooks/pre-commit");

/// The line that marks a hook file as keygate's.
pub const MARKER: &str = "keygate-managed-hook";

const HOOK: &str = "pre-commit";

/// The directory git runs hooks from for `repo`.
pub fn hooks_dir(repo: &Repository) -> Result<PathBuf> {
    let config = repo
        .config()
        .map_err(|e| GitError::wrap("cannot read git config", &e))?;
    match config.get_path("core.hooksPath") {
        Ok(p) if p.is_absolute() => Ok(p),
        Ok(p) => Ok(repo.workdir().unwrap_or_else(|| repo.path()).join(p)),
        Err(_) => Ok(repo.commondir().join("hooks")),
    }
}

/// Installs the hook; returns what was done, for the user.
pub fn install(repo_dir: Option<&Path>, force: bool) -> Result<String> {
    let repo = git::open(repo_dir)?;
    let dir = hooks_dir(&repo)?;
    let path = dir.join(HOOK);
    let shown = path.display();
    let mut note = String::new();
    match fs::read(&path) {
        Ok(existing) if is_ours(&existing) => {
            if existing == SCRIPT.as_bytes() {
                return Ok(format!(
                    "keygate pre-commit hook already installed at {shown}"
                ));
            }
        }
        Ok(_) if !force => {
            return Err(GitError::new(format!(
                "{shown} already exists and is not keygate's hook; not replacing it \
                 (run `keygate hook install --force` to replace it; the old hook is kept \
                 as a backup), or call `keygate staged` from your existing hook"
            )))
        }
        Ok(_) => {
            let backup = free_backup_name(&path);
            fs::rename(&path, &backup).map_err(|e| io(&path, "cannot back up", &e))?;
            note = format!("; the previous hook was moved to {}", backup.display());
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(&path, "cannot read", &e)),
    }
    fs::create_dir_all(&dir).map_err(|e| io(&dir, "cannot create directory", &e))?;
    write_executable(&path, SCRIPT.as_bytes())?;
    Ok(format!(
        "installed keygate pre-commit hook at {shown}{note}"
    ))
}

/// Removes the hook if it is keygate's; returns what was done.
pub fn uninstall(repo_dir: Option<&Path>) -> Result<String> {
    let repo = git::open(repo_dir)?;
    let path = hooks_dir(&repo)?.join(HOOK);
    let shown = path.display();
    match fs::read(&path) {
        Ok(existing) if is_ours(&existing) => {
            fs::remove_file(&path).map_err(|e| io(&path, "cannot remove", &e))?;
            let backup = backup_name(&path, 0);
            let note = if backup.exists() {
                format!(
                    "; a previous hook is still saved at {} (rename it back to restore it)",
                    backup.display()
                )
            } else {
                String::new()
            };
            Ok(format!(
                "removed keygate pre-commit hook from {shown}{note}"
            ))
        }
        Ok(_) => Err(GitError::new(format!(
            "{shown} is not keygate's hook; leaving it alone"
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok(format!("no pre-commit hook at {shown}; nothing to remove"))
        }
        Err(e) => Err(io(&path, "cannot read", &e)),
    }
}

fn is_ours(content: &[u8]) -> bool {
    content
        .split(|&b| b == b'\n')
        .take(10)
        .any(|line| memchr::memmem::find(line, MARKER.as_bytes()).is_some())
}

fn backup_name(path: &Path, n: usize) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".keygate-backup");
    if n > 0 {
        name.push(format!(".{n}"));
    }
    PathBuf::from(name)
}

fn free_backup_name(path: &Path) -> PathBuf {
    (0..)
        .map(|n| backup_name(path, n))
        .find(|p| fs::symlink_metadata(p).is_err())
        .expect("some backup name is free")
}

/// Writes through a temporary file and a rename, so a hook is never half
/// written and a symlinked hook is replaced rather than written through.
fn write_executable(path: &Path, content: &[u8]) -> Result<()> {
    let tmp = path.with_extension("keygate-tmp");
    let mut f = fs::File::create(&tmp).map_err(|e| io(&tmp, "cannot create", &e))?;
    f.write_all(content)
        .and_then(|_| f.sync_all())
        .map_err(|e| io(&tmp, "cannot write", &e))?;
    drop(f);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755))
            .map_err(|e| io(&tmp, "cannot make executable", &e))?;
    }
    fs::rename(&tmp, path).map_err(|e| io(path, "cannot install", &e))
}

fn io(path: &Path, doing: &str, e: &std::io::Error) -> GitError {
    GitError::new(format!(
        "{}: {doing}: {}",
        path.display(),
        crate::source::files::describe_io(e)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_carries_the_marker() {
        assert!(is_ours(SCRIPT.as_bytes()));
        assert!(!is_ours(b"#!/bin/sh\nexec lint\n"));
        assert!(SCRIPT.starts_with("#!/bin/sh\n"));
    }

    #[test]
    fn backup_names() {
        let p = Path::new("/x/hooks/pre-commit");
        assert_eq!(
            backup_name(p, 0),
            Path::new("/x/hooks/pre-commit.keygate-backup")
        );
        assert_eq!(
            backup_name(p, 2),
            Path::new("/x/hooks/pre-commit.keygate-backup.2")
        );
    }
}
