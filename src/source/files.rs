//! Files and directories, walked in parallel with the `ignore` crate.
//!
//! Honours `.gitignore`, `.ignore` and git excludes unless told not to,
//! includes hidden files (`.env` is where secrets live), never descends into
//! `.git/`, does not follow symlinks, and skips non-regular files, binary
//! files and files over the size limit (counted in [`Stats`]).
//!
//! Large files are memory-mapped. A mapped file that another process
//! truncates while we read it can raise SIGBUS; we accept that risk only for
//! files above `MMAP_THRESHOLD`, where reading into memory would cost more.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use ignore::{WalkBuilder, WalkState};

use super::{text_view, Origin, Sink, Stats};
use crate::diag;

/// Files at least this large are memory-mapped instead of read.
const MMAP_THRESHOLD: u64 = 4 << 20;

#[derive(Debug, Clone)]
pub struct FileOptions {
    pub paths: Vec<PathBuf>,
    /// Scan files that ignore rules would skip.
    pub no_ignore: bool,
    pub max_file_size: u64,
    pub threads: usize,
}

/// Walks every path and hands each readable text file to `sink`.
pub fn scan(opts: &FileOptions, sink: &dyn Sink, stats: &Stats) {
    // Roots that do not exist are reported once here, not again by the walk.
    let roots: Vec<&Path> = opts
        .paths
        .iter()
        .filter(|p| match std::fs::metadata(p) {
            Ok(_) => true,
            Err(e) => {
                diag::error(&p.to_string_lossy(), describe_io(&e));
                false
            }
        })
        .map(PathBuf::as_path)
        .collect();
    let Some((first, rest)) = roots.split_first() else {
        return;
    };
    let mut builder = WalkBuilder::new(first);
    for p in rest {
        builder.add(p);
    }
    builder
        .hidden(false)
        .follow_links(false)
        .threads(opts.threads)
        .ignore(!opts.no_ignore)
        .git_ignore(!opts.no_ignore)
        .git_global(!opts.no_ignore)
        .git_exclude(!opts.no_ignore)
        .parents(!opts.no_ignore)
        .filter_entry(|e| e.file_name() != ".git");
    builder.build_parallel().run(|| {
        let mut buf = Vec::new();
        let roots = &roots;
        Box::new(move |entry| {
            match entry {
                Ok(entry) => {
                    let Some(ft) = entry.file_type() else {
                        return WalkState::Continue; // stdin
                    };
                    if ft.is_dir() {
                        return WalkState::Continue;
                    }
                    if !ft.is_file() {
                        stats.skipped_other.fetch_add(1, Ordering::Relaxed);
                        return WalkState::Continue;
                    }
                    let rel = relative_to_root(roots, entry.path());
                    scan_file(entry.path(), &rel, opts, sink, stats, &mut buf);
                }
                Err(err) => report_walk_error(&err),
            }
            WalkState::Continue
        })
    });
}

fn scan_file(
    path: &Path,
    rel: &str,
    opts: &FileOptions,
    sink: &dyn Sink,
    stats: &Stats,
    buf: &mut Vec<u8>,
) {
    let shown = path.to_string_lossy();
    if path.to_str().is_none() {
        diag::warn(
            &shown,
            "file name is not valid UTF-8; shown with replacement characters",
        );
    }
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return diag::error(&shown, describe_io(&e)),
    };
    let len = match file.metadata() {
        Ok(m) => m.len(),
        Err(e) => return diag::error(&shown, describe_io(&e)),
    };
    if len > opts.max_file_size {
        return skip_large(&shown, len, opts, stats);
    }
    let origin = Origin {
        path: &shown,
        rel,
        commit: None,
        lines: None,
    };
    if len >= MMAP_THRESHOLD {
        // SAFETY: see the module docs; the map is read-only and dropped
        // before this function returns.
        match unsafe { memmap2::Mmap::map(&file) } {
            Ok(map) => return scan_buffer(&map, &origin, sink, stats),
            Err(e) => return diag::error(&shown, format!("cannot map file: {e}")),
        }
    }
    buf.clear();
    if let Err(e) = file.read_to_end(buf) {
        return diag::error(&shown, describe_io(&e));
    }
    if buf.len() as u64 > opts.max_file_size {
        return skip_large(&shown, buf.len() as u64, opts, stats);
    }
    scan_buffer(buf, &origin, sink, stats);
}

/// Large files are skipped with a warning, never silently: a scanner's
/// silence must mean "nothing found".
fn skip_large(shown: &str, len: u64, opts: &FileOptions, stats: &Stats) {
    stats.skipped_large.fetch_add(1, Ordering::Relaxed);
    diag::warn(
        shown,
        format!(
            "skipped: {} is over --max-file-size {}",
            super::human_bytes(len),
            super::human_bytes(opts.max_file_size)
        ),
    );
}

fn scan_buffer(bytes: &[u8], origin: &Origin<'_>, sink: &dyn Sink, stats: &Stats) {
    let Some(text) = text_view(bytes) else {
        stats.skipped_binary.fetch_add(1, Ordering::Relaxed);
        return;
    };
    stats.scanned(bytes.len());
    sink.scan(origin, &text);
}

/// The path relative to the walk root it is under, with `/` separators.
fn relative_to_root(roots: &[&Path], path: &Path) -> String {
    let rel = roots
        .iter()
        .filter_map(|r| path.strip_prefix(r).ok())
        .min_by_key(|p| p.as_os_str().len())
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(path);
    let rel = rel.strip_prefix(".").unwrap_or(rel);
    rel.to_string_lossy().replace('\\', "/")
}

fn report_walk_error(err: &ignore::Error) {
    match err {
        ignore::Error::WithPath { path, err } => {
            diag::error(&path.to_string_lossy(), err.to_string())
        }
        ignore::Error::WithDepth { err, .. } => report_walk_error(err),
        ignore::Error::WithLineNumber { err, .. } => report_walk_error(err),
        ignore::Error::Loop { child, .. } => {
            diag::warn(&child.to_string_lossy(), "symlink loop; not followed")
        }
        other => diag::error("<walk>", other.to_string()),
    }
}

/// A short description of an I/O error, without the OS error number noise.
pub fn describe_io(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "no such file or directory".into(),
        PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_strip_the_root() {
        let roots = [Path::new("a/b"), Path::new("c")];
        assert_eq!(relative_to_root(&roots, Path::new("a/b/x/y.rs")), "x/y.rs");
        assert_eq!(relative_to_root(&roots, Path::new("c/z")), "z");
        assert_eq!(relative_to_root(&roots, Path::new("c")), "c");
        let dot = [Path::new(".")];
        assert_eq!(
            relative_to_root(&dot, Path::new("./src/main.rs")),
            "src/main.rs"
        );
    }
}
