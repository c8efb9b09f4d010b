//! The staged changes: what `git commit` would record, as a diff of the
//! index against `HEAD` (against the empty tree before the first commit).
//!
//! Content comes from the index's blobs in the object database, never from
//! the working tree, so partial staging (`git add -p`) is exact and
//! unstaged edits are invisible. Each changed file's whole new blob is
//! scanned; only findings on added lines count. Deletions, mode-only
//! changes, exact renames, symlinks and submodules add no lines and are
//! skipped without reading anything; binary blobs are counted and skipped.
//! UTF-16 files with a byte order mark are diffed and scanned as UTF-8
//! ([`text_view`]).
//!
//! Honours `GIT_INDEX_FILE`, which git sets for hooks when committing with
//! a temporary index (`git commit -a`, `git commit PATH`).

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use git2::{Delta, DiffFindOptions, DiffOptions, ErrorCode, Index, Repository, Tree};

use super::{added_lines, display_path, is_file_mode, GitError, Result};
use crate::source::{text_view, Origin, Sink, Stats};

/// Scans the changes staged in the repository at (or above) `repo_dir`.
pub fn scan(repo_dir: Option<&Path>, sink: &dyn Sink, stats: &Stats) -> Result<()> {
    let repo = super::open(repo_dir)?;
    if repo.is_bare() {
        return Err(GitError::new(format!(
            "{}: bare repository: it has no index to scan",
            repo.path().display()
        )));
    }
    let index = open_index(&repo)?;
    let head = head_tree(&repo)?;
    let mut opts = DiffOptions::new();
    opts.include_typechange(true).ignore_submodules(true);
    let mut diff = repo
        .diff_tree_to_index(head.as_ref(), Some(&index), Some(&mut opts))
        .map_err(|e| GitError::wrap("cannot diff the index against HEAD", &e))?;
    let mut find = DiffFindOptions::new();
    find.renames(true);
    diff.find_similar(Some(&mut find))
        .map_err(|e| GitError::wrap("cannot detect renames", &e))?;

    for delta in diff.deltas() {
        let new = delta.new_file();
        let old = delta.old_file();
        let old_is_file = match delta.status() {
            Delta::Added => false,
            Delta::Modified | Delta::Renamed | Delta::Copied => is_file_mode(old.mode()),
            // A symlink or submodule that became a file: all of it is new.
            Delta::Typechange => false,
            _ => continue, // deleted, unmodified, ignored, untracked, conflicted
        };
        if !is_file_mode(new.mode()) {
            if new.mode() != git2::FileMode::Commit && new.mode() != git2::FileMode::Tree {
                stats.skipped_other.fetch_add(1, Ordering::Relaxed);
            }
            continue;
        }
        if old_is_file && old.id() == new.id() {
            continue; // mode change or exact rename: no new lines
        }
        if new.id().is_zero() {
            continue; // intent-to-add (`git add -N`): nothing staged yet
        }
        let path = display_path(new.path_bytes().unwrap_or_default());
        sink.file(&Origin {
            path: &path,
            rel: &path,
            commit: None,
            lines: None,
        });
        let blob = repo
            .find_blob(new.id())
            .map_err(|e| GitError::wrap(format!("{path}: cannot read staged blob"), &e))?;
        let Some(text) = text_view(blob.content()) else {
            stats.skipped_binary.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let old_blob = if old_is_file {
            Some(
                repo.find_blob(old.id())
                    .map_err(|e| GitError::wrap(format!("{path}: cannot read HEAD blob"), &e))?,
            )
        } else {
            None
        };
        let old_text = old_blob.as_ref().and_then(|b| text_view(b.content()));
        let lines = added_lines(old_text.as_deref(), &text)
            .map_err(|e| GitError::new(format!("{path}: {e}")))?;
        stats.scanned(blob.content().len());
        if lines.is_empty() {
            continue;
        }
        let origin = Origin {
            path: &path,
            rel: &path,
            commit: None,
            lines: Some(&lines),
        };
        sink.scan(&origin, &text);
    }
    Ok(())
}

/// The index a commit would be made from: `GIT_INDEX_FILE` when git set
/// it, else the repository's own.
fn open_index(repo: &Repository) -> Result<Index> {
    if let Some(file) = std::env::var_os("GIT_INDEX_FILE").filter(|f| !f.is_empty()) {
        let path = PathBuf::from(file);
        return Index::open(&path)
            .map_err(|e| GitError::wrap(format!("{}: cannot read index", path.display()), &e));
    }
    repo.index()
        .map_err(|e| GitError::wrap("cannot read the index", &e))
}

/// `HEAD`'s tree, or `None` on an unborn branch (no commit yet).
fn head_tree(repo: &Repository) -> Result<Option<Tree<'_>>> {
    match repo.head() {
        Ok(head) => head
            .peel_to_tree()
            .map(Some)
            .map_err(|e| GitError::wrap("cannot read HEAD's tree", &e)),
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => Ok(None),
        Err(e) => Err(GitError::wrap("cannot resolve HEAD", &e)),
    }
}
