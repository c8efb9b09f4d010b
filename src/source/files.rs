//! Files and directories, walked in parallel with the `ignore` crate.
//!
//! Honours `.gitignore`, `.ignore` and git excludes unless told not to,
//! includes hidden files (`.env` is where secrets live), never descends into
//! `.git/`, does not follow symlinks, and skips non-regular files, binary
//! files and files over the size limit (counted in [`Stats`]).
//!
//! Files are read, never memory-mapped: a mapped file that another process
//! truncates while we scan it raises SIGBUS and kills the whole scan, and no
//! check before mapping can rule that out. Files smaller than [`PIECE`] are
//! read whole; larger ones in pieces of `PIECE` bytes, each sharing
//! [`OVERLAP`] bytes with the next (see [`Piece`]), so memory stays bounded
//! by the piece size per thread whatever `--max-file-size` allows. A file
//! that shrinks while being read is scanned as far as it goes, with a
//! warning; one replaced while being read is scanned as it was when opened.
//! Two limits follow from reading in pieces: a `keygate:allow` marker more
//! than `OVERLAP / 2` bytes away on the same (very long) line is not seen,
//! and large UTF-16 files are still read whole to be transcoded.
//!
//! Files are opened non-blocking and checked to be regular files after
//! opening, so a path swapped for a FIFO after the walk saw it cannot hang
//! the scan.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use ignore::{WalkBuilder, WalkState};

use super::{is_binary, text_view, Origin, Piece, Sink, Stats, SNIFF_LEN};
use crate::diag;

/// Files at least this large are read in pieces of this many bytes.
const PIECE: usize = 4 << 20;
/// Bytes a piece shares with the next. Half of it is the context every
/// secret is seen with on each side; it must exceed any rule's window plus
/// its context distance (checked by a test).
const OVERLAP: usize = 64 << 10;

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
    // The walker opens ignore files itself, blocking: a FIFO in their place
    // would hang the scan. Such a directory is reported and not scanned.
    let no_ignore = opts.no_ignore;
    let ignore_files_ok = move |dir: &Path| no_ignore || ignore_files_are_regular(dir);
    let roots: Vec<&Path> = roots
        .into_iter()
        .filter(|r| {
            // The walker also reads the ignore files of the root's parents.
            let abs = std::fs::canonicalize(r).unwrap_or_else(|_| r.to_path_buf());
            abs.ancestors().filter(|a| a.is_dir()).all(ignore_files_ok)
        })
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
        .filter_entry(move |e| {
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            e.file_name() != ".git" && (!is_dir || ignore_files_ok(e.path()))
        });
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
                        if entry.depth() == 0 {
                            // Named on the command line: say why nothing came of it.
                            diag::warn(
                                &entry.path().to_string_lossy(),
                                "skipped: not a regular file",
                            );
                        }
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

/// Ignore files the walker reads in every directory.
const WALKER_IGNORE_FILES: [&str; 2] = [".gitignore", ".ignore"];

/// False (after an error naming it) if an ignore file in `dir` exists but is
/// not a regular file, e.g. a FIFO, which the walker would block on.
fn ignore_files_are_regular(dir: &Path) -> bool {
    WALKER_IGNORE_FILES.iter().all(|name| {
        let path = dir.join(name);
        match std::fs::metadata(&path) {
            Ok(m) if !m.is_file() => {
                diag::error(
                    &path.to_string_lossy(),
                    "not a regular file; its directory is not scanned (--no-ignore scans it)",
                );
                false
            }
            _ => true,
        }
    })
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
    let origin = Origin {
        path: &shown,
        rel,
        commit: None,
        lines: None,
    };
    sink.file(&origin);
    let file = match open_nonblocking(path) {
        Ok(f) => f,
        Err(e) => return diag::error(&shown, describe_io(&e)),
    };
    let meta = match file.metadata() {
        Ok(m) => m,
        Err(e) => return diag::error(&shown, describe_io(&e)),
    };
    if !meta.is_file() {
        // Replaced by a FIFO, socket or device since the walk saw it.
        stats.skipped_other.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let len = meta.len();
    if len > opts.max_file_size {
        return skip_large(&shown, len, opts, stats);
    }
    buf.clear();
    if len >= PIECE as u64 {
        match scan_pieces(file.take(len), &origin, sink, stats, buf) {
            Ok(Some(read)) if read < len => diag::warn(
                &shown,
                format!(
                    "file shrank while being read; scanned its first {}",
                    super::human_bytes(read)
                ),
            ),
            Ok(_) => {}
            Err(e) => diag::error(&shown, describe_io(&e)),
        }
        return;
    }
    // A file read up to its size needs no further read to see its end; one
    // that grew since is scanned as it was when measured. Files that report
    // no size (procfs) may still be large.
    let limit = if len > 0 {
        buf.reserve(len as usize);
        len
    } else {
        opts.max_file_size + 1
    };
    let mut input = file.take(limit);
    match read_text_head(&mut input, buf) {
        Ok(Head::Binary) => {
            stats.skipped_binary.fetch_add(1, Ordering::Relaxed);
            return;
        }
        Ok(Head::End) => {}
        Ok(Head::More) => {
            if let Err(e) = input.read_to_end(buf) {
                return diag::error(&shown, describe_io(&e));
            }
        }
        Err(e) => return diag::error(&shown, describe_io(&e)),
    }
    if buf.len() as u64 > opts.max_file_size {
        return skip_large(&shown, buf.len() as u64, opts, stats);
    }
    scan_buffer(buf, &origin, sink, stats);
}

/// Reads a whole small file keygate itself needs (config, ignore list,
/// baseline) without blocking on a FIFO or device put in its place.
pub fn read_regular_to_string(path: &Path) -> io::Result<String> {
    let mut file = open_nonblocking(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    Ok(text)
}

fn open_nonblocking(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK);
    }
    o.open(path)
}

/// Scans a large input in overlapping pieces; returns the bytes read, or
/// `None` if the first piece showed the input is binary.
fn scan_pieces(
    mut input: impl Read,
    origin: &Origin<'_>,
    sink: &dyn Sink,
    stats: &Stats,
    buf: &mut Vec<u8>,
) -> io::Result<Option<u64>> {
    let mut piece = Piece {
        lines_before: 0,
        column_before: 0,
        own_start: 0,
        own_end: 0,
    };
    let mut total = 0u64;
    let mut first = true;
    loop {
        let before = buf.len();
        let first_piece = std::mem::take(&mut first);
        if first_piece && read_text_head(&mut input, buf)? == Head::Binary {
            stats.skipped_binary.fetch_add(1, Ordering::Relaxed);
            return Ok(None);
        }
        let eof = fill(&mut input, buf, PIECE)?;
        total += (buf.len() - before) as u64;
        if first_piece {
            // The first piece decides what the input is, as for whole files.
            match text_view(buf) {
                None => {
                    stats.skipped_binary.fetch_add(1, Ordering::Relaxed);
                    return Ok(None);
                }
                Some(std::borrow::Cow::Owned(_)) => {
                    // UTF-16: transcoded whole (see the module docs).
                    input.read_to_end(buf)?;
                    total = buf.len() as u64;
                    scan_buffer(buf, origin, sink, stats);
                    return Ok(Some(total));
                }
                Some(_) => {}
            }
        }
        piece.own_end = if eof {
            buf.len()
        } else {
            buf.len() - OVERLAP / 2
        };
        sink.scan_piece(origin, buf, &piece);
        if eof {
            break;
        }
        let drop = buf.len() - OVERLAP;
        let gone = &buf[..drop];
        match memchr::memrchr(b'\n', gone) {
            Some(i) => {
                piece.lines_before += memchr::memchr_iter(b'\n', gone).count();
                piece.column_before = drop - i - 1;
            }
            None => piece.column_before += drop,
        }
        buf.drain(..drop);
        piece.own_start = OVERLAP / 2;
    }
    stats.scanned(total as usize);
    Ok(Some(total))
}

/// What the first [`SNIFF_LEN`] bytes of an input say.
#[derive(Debug, PartialEq, Eq)]
enum Head {
    /// Binary: not worth reading further.
    Binary,
    /// Text, and the input ended within them.
    End,
    /// Text so far, and there may be more.
    More,
}

/// Reads the first [`SNIFF_LEN`] bytes of `input` into the empty `buf`, so
/// that a binary file costs one read rather than all of its bytes.
fn read_text_head(input: &mut impl Read, buf: &mut Vec<u8>) -> io::Result<Head> {
    let eof = fill(input, buf, SNIFF_LEN)?;
    Ok(match (is_binary(buf), eof) {
        (true, _) => Head::Binary,
        (false, true) => Head::End,
        (false, false) => Head::More,
    })
}

/// Reads until `buf` holds `size` bytes or the input ends; true at the end.
fn fill(input: &mut impl Read, buf: &mut Vec<u8>, size: usize) -> io::Result<bool> {
    let want = (size - buf.len()) as u64;
    let got = input.by_ref().take(want).read_to_end(buf)?;
    Ok((got as u64) < want)
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
    fn overlap_covers_every_rule_window_and_context() {
        let rules = crate::rules::RuleSet::builtin().unwrap();
        for r in &rules.rules {
            let context = r.context.as_ref().map_or(0, |c| c.distance);
            // Window start reaches back at most 256 bytes, its end snaps at
            // most 256 bytes further.
            let reach = 256 + r.window + 256 + context;
            assert!(reach < OVERLAP / 2, "{}: reaches {reach} bytes", r.id);
        }
    }

    /// Collects (line, column, offset in the piece's buffer mapped back to
    /// the input) of every `K` byte, through the same piece arithmetic.
    struct Positions(std::sync::Mutex<Vec<(usize, usize, u8)>>);

    impl Sink for Positions {
        fn scan(&self, _: &Origin<'_>, _: &[u8]) {
            unreachable!("large inputs come in pieces")
        }
        fn scan_piece(&self, _: &Origin<'_>, bytes: &[u8], piece: &Piece) {
            let mut line = 1;
            let mut col = 0;
            for (i, &b) in bytes.iter().enumerate() {
                col += 1;
                if (piece.own_start..piece.own_end).contains(&i) && b.is_ascii_uppercase() {
                    let (l, c) = piece.position(line, col);
                    self.0.lock().unwrap().push((l, c, b));
                }
                if b == b'\n' {
                    line += 1;
                    col = 0;
                }
            }
        }
    }

    #[test]
    fn pieces_report_every_byte_once_at_its_whole_input_position() {
        // Long lines, short lines and markers on piece and overlap edges.
        let mut input = Vec::new();
        let mut expected = Vec::new();
        let (mut line, mut col) = (1, 0);
        let mut i = 0usize;
        while input.len() < 3 * PIECE + 12345 {
            let b = match i % 7919 {
                0 => b'\n',
                k if k % 613 == 0 => b'A' + (i % 26) as u8,
                _ => b'.',
            };
            let r = input.len() % (PIECE - OVERLAP);
            let at_edge = [0, 1, OVERLAP / 2 - 1, OVERLAP / 2, OVERLAP - 1].contains(&r);
            let b = if at_edge { b'Z' } else { b };
            input.push(b);
            col += 1;
            if b.is_ascii_uppercase() {
                expected.push((line, col, b));
            }
            if b == b'\n' {
                line += 1;
                col = 0;
            }
            i += 1;
        }
        let sink = Positions(Default::default());
        let origin = Origin {
            path: "p",
            rel: "p",
            commit: None,
            lines: None,
        };
        let stats = Stats::default();
        let read = scan_pieces(&input[..], &origin, &sink, &stats, &mut Vec::new()).unwrap();
        assert_eq!(read, Some(input.len() as u64));
        let mut got = sink.0.into_inner().unwrap();
        got.sort();
        assert_eq!(got, expected);
    }

    /// Counts the bytes read through it.
    struct Counting<R>(R, usize);

    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.read(buf)?;
            self.1 += n;
            Ok(n)
        }
    }

    /// A binary input costs its head, not all of its bytes, small or large;
    /// a text input is read on past its head.
    #[test]
    fn binary_inputs_are_read_no_further_than_their_head() {
        let mut binary = vec![b'x'; 3 * PIECE];
        binary[SNIFF_LEN - 1] = 0;
        let mut counting = Counting(&binary[..], 0);
        let mut buf = Vec::new();
        assert_eq!(
            read_text_head(&mut counting, &mut buf).unwrap(),
            Head::Binary
        );
        assert_eq!(counting.1, SNIFF_LEN);

        let origin = Origin {
            path: "p",
            rel: "p",
            commit: None,
            lines: None,
        };
        let (sink, stats) = (Positions(Default::default()), Stats::default());
        let mut counting = Counting(&binary[..], 0);
        let read = scan_pieces(&mut counting, &origin, &sink, &stats, &mut Vec::new());
        assert_eq!(read.unwrap(), None);
        assert_eq!(counting.1, SNIFF_LEN);
        assert_eq!(Stats::get(&stats.skipped_binary), 1);

        // A NUL past the head is text, as before.
        binary[SNIFF_LEN - 1] = b'x';
        binary[SNIFF_LEN] = 0;
        let mut buf = Vec::new();
        assert_eq!(
            read_text_head(&mut &binary[..], &mut buf).unwrap(),
            Head::More
        );
        assert_eq!(
            read_text_head(&mut &b"short"[..], &mut Vec::new()).unwrap(),
            Head::End
        );
    }

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
