//! Git sources: the staged changes ([`staged`]) and commit history
//! ([`history`]), read through libgit2 (`git2`); never by parsing `git`
//! output.
//!
//! Both hand the *whole* new version of a file to the sink (so rules that
//! look for context around a secret see it), and say which lines count:
//! the lines the diff adds. Paths are repository-relative with `/`
//! separators, as git writes them.

pub mod attribution;
pub mod history;
pub mod progress;
pub mod staged;
pub mod treediff;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use git2::{Commit, DiffOptions, ErrorCode, FileMode, Oid, Repository};

use crate::finding::CommitInfo;

/// A git problem, phrased for the user; the app prints it and exits 2.
#[derive(Debug)]
pub struct GitError {
    message: String,
}

impl GitError {
    pub fn new(message: impl Into<String>) -> GitError {
        GitError {
            message: message.into(),
        }
    }

    /// Wraps a libgit2 error with what we were doing.
    pub fn wrap(doing: impl fmt::Display, e: &git2::Error) -> GitError {
        GitError::new(format!("{doing}: {}", e.message()))
    }
}

impl fmt::Display for GitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for GitError {}

pub type Result<T> = std::result::Result<T, GitError>;

/// Opens the repository containing `dir`, or the one git's environment
/// (`GIT_DIR`, …) or the current directory names when `dir` is `None`.
pub fn open(dir: Option<&Path>) -> Result<Repository> {
    let res = match dir {
        Some(d) => Repository::discover(d),
        None => Repository::open_from_env(),
    };
    res.map_err(|e| {
        let place = match dir {
            Some(d) => d.to_path_buf(),
            None => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        };
        if e.code() == ErrorCode::NotFound {
            GitError::new(format!(
                "{}: not a git repository (nor any of its parents)",
                place.display()
            ))
        } else {
            GitError::wrap(
                format!("{}: cannot open git repository", place.display()),
                &e,
            )
        }
    })
}

/// True for tree entries whose content is a file we scan: regular and
/// executable blobs. Symlinks (their "content" is a path), submodules
/// (a commit id) and trees are not.
pub fn is_file_mode(mode: FileMode) -> bool {
    is_file_mode_bits(i32::from(mode))
}

/// [`is_file_mode`] on raw tree-entry mode bits (any permission bits: old
/// trees hold modes such as `100664`).
pub fn is_file_mode_bits(mode: i32) -> bool {
    mode & 0o170000 == 0o100000
}

/// The path shown for a git path: lossy UTF-8 (git paths are bytes).
pub fn display_path(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Provenance for findings in `commit`.
pub fn commit_info(commit: &Commit<'_>) -> CommitInfo {
    let author = commit.author();
    let when = author.when();
    CommitInfo {
        commit: commit.id().to_string(),
        author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        date: rfc3339(when.seconds(), when.offset_minutes()),
        summary: commit
            .summary_bytes()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .unwrap_or_default(),
    }
}

/// Looks a commit up and returns its provenance, shared.
pub fn commit_info_of(repo: &Repository, oid: Oid) -> Result<Arc<CommitInfo>> {
    let commit = repo
        .find_commit(oid)
        .map_err(|e| GitError::wrap(format!("cannot read commit {oid}"), &e))?;
    Ok(Arc::new(commit_info(&commit)))
}

/// Formats a git timestamp (seconds since the epoch, UTC offset in minutes)
/// as RFC 3339 in the author's own offset, e.g. `2024-05-01T12:30:00+02:00`.
pub fn rfc3339(seconds: i64, offset_minutes: i32) -> String {
    let local = seconds + i64::from(offset_minutes) * 60;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let zone = if offset_minutes == 0 {
        "Z".to_string()
    } else {
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        let off = offset_minutes.unsigned_abs();
        format!("{sign}{:02}:{:02}", off / 60, off % 60)
    };
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}{zone}")
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Diff options for computing added lines: no context, so every new-side
/// line of a hunk is an added line; text even if libgit2 would guess
/// binary (we already decided the blob is text).
fn line_diff_options() -> DiffOptions {
    let mut opts = DiffOptions::new();
    opts.context_lines(0).interhunk_lines(0).force_text(true);
    opts
}

/// The 1-based line numbers of `new` that are added relative to `old`,
/// sorted. `old = None` means every line is added.
pub fn added_lines(old: Option<&[u8]>, new: &[u8]) -> Result<Vec<u32>> {
    let Some(old) = old else {
        return Ok(all_lines(new));
    };
    if old == new {
        return Ok(Vec::new());
    }
    let mut opts = line_diff_options();
    let patch = git2::Patch::from_buffers(old, None, new, None, Some(&mut opts))
        .map_err(|e| GitError::wrap("cannot diff", &e))?;
    let mut lines = Vec::new();
    for h in 0..patch.num_hunks() {
        let (hunk, _) = patch
            .hunk(h)
            .map_err(|e| GitError::wrap("cannot diff", &e))?;
        let start = hunk.new_start();
        lines.extend(start..start + hunk.new_lines());
    }
    Ok(lines)
}

/// Every line number of `bytes`: 1 ..= number of lines (a final line
/// without a newline counts).
fn all_lines(bytes: &[u8]) -> Vec<u32> {
    let newlines = memchr::memchr_iter(b'\n', bytes).count();
    let n = newlines + usize::from(!bytes.is_empty() && !bytes.ends_with(b"\n"));
    (1..=n as u32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_offsets() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000, 60), "2023-11-14T23:13:20+01:00");
        assert_eq!(rfc3339(1_700_000_000, -330), "2023-11-14T16:43:20-05:30");
        assert_eq!(rfc3339(951_782_400, 0), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-86_400, 0), "1969-12-31T00:00:00Z");
    }

    #[test]
    fn added_lines_from_a_diff() {
        let lines = |old: Option<&[u8]>, new: &[u8]| added_lines(old, new).unwrap();
        assert_eq!(lines(None, b"a\nb\nc"), vec![1, 2, 3]);
        assert_eq!(lines(None, b"a\nb\n"), vec![1, 2]);
        assert_eq!(lines(None, b""), Vec::<u32>::new());
        assert_eq!(lines(Some(b"a\nb\n"), b"a\nb\n"), Vec::<u32>::new());
        assert_eq!(lines(Some(b"a\nb\nc\n"), b"a\nX\nc\nd\n"), vec![2, 4]);
        assert_eq!(lines(Some(b"a\nb\nc\n"), b"a\nc\n"), Vec::<u32>::new());
    }
}
