//! Sources: where bytes come from. Each source turns its inputs (files,
//! stdin, the git index, history) into buffers with provenance and hands
//! them to a [`Sink`]; it never interprets the bytes itself.

pub mod files;
pub mod git;
pub mod stdin;

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::finding::CommitInfo;

/// Where a buffer came from.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// The path shown to the user.
    pub path: &'a str,
    /// The path relative to the scanned root (or inside a commit's tree);
    /// fingerprints use this so they do not depend on where keygate ran.
    pub rel: &'a str,
    pub commit: Option<&'a Arc<CommitInfo>>,
    /// When set, only findings on these 1-based lines count (added lines of
    /// a diff). Sorted ascending.
    pub lines: Option<&'a [u32]>,
}

/// Receives buffers from a source. Called from many threads at once.
pub trait Sink: Sync {
    /// Scans one whole input.
    fn scan(&self, origin: &Origin<'_>, bytes: &[u8]);
    /// Scans one piece of an input too large to hold in memory at once.
    fn scan_piece(&self, origin: &Origin<'_>, bytes: &[u8], piece: &Piece);
    /// Called once for every file a source finds, before it decides
    /// whether to read it (a binary or too large file is still a file):
    /// for rules about file names alone.
    fn file(&self, _origin: &Origin<'_>) {}
    /// An opaque key for what the findings depend on in a path (`rel`):
    /// equal content under two paths with equal keys gives the same
    /// findings, up to the path itself. A source that meets one content
    /// under many paths (git history) scans it once per key.
    fn path_key(&self, _rel: &str) -> Vec<u64> {
        Vec::new()
    }
}

/// Where a buffer sits inside a larger input that a source reads in
/// overlapping pieces, so that memory stays bounded whatever the input size.
///
/// Invariant: the `own` ranges of an input's pieces partition the input, and
/// every byte of a piece's own range has at least the overlap of context on
/// each side (except at the ends of the input). A sink reports only matches
/// that start in the own range, so each secret is reported exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// Line terminators in the input before the piece's first byte.
    pub lines_before: usize,
    /// Bytes from the start of the line the piece begins in to the piece's
    /// first byte.
    pub column_before: usize,
    /// Offsets into the piece of the first and one past the last byte it owns.
    pub own_start: usize,
    pub own_end: usize,
}

impl Piece {
    /// Line and column in the whole input of a position the detector gave
    /// relative to the piece.
    pub fn position(&self, line: usize, column: usize) -> (usize, usize) {
        if line == 1 {
            (self.lines_before + 1, self.column_before + column)
        } else {
            (self.lines_before + line, column)
        }
    }
}

/// Counters a source keeps while it runs; read once it is done.
#[derive(Debug, Default)]
pub struct Stats {
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    pub skipped_binary: AtomicU64,
    pub skipped_large: AtomicU64,
    pub skipped_other: AtomicU64,
}

impl Stats {
    pub fn scanned(&self, bytes: usize) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// A one-line human summary such as `12 files (1.2 MiB); skipped 3
    /// binary`.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} files ({})",
            Self::get(&self.files),
            human_bytes(Self::get(&self.bytes))
        );
        let skipped: Vec<String> = [
            (Self::get(&self.skipped_binary), "binary"),
            (Self::get(&self.skipped_large), "too large"),
            (Self::get(&self.skipped_other), "not regular files"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        if !skipped.is_empty() {
            s.push_str("; skipped ");
            s.push_str(&skipped.join(", "));
        }
        s
    }
}

/// The bytes at the start of an input that decide whether it is binary.
pub const SNIFF_LEN: usize = 8 << 10;

/// True if an input starting with `head` (its first [`SNIFF_LEN`] bytes, or
/// all of it if shorter) is binary, as [`text_view`] decides: no UTF-16
/// byte order mark, and a NUL byte in the first [`SNIFF_LEN`] bytes.
pub fn is_binary(head: &[u8]) -> bool {
    !head.starts_with(&[0xFF, 0xFE])
        && !head.starts_with(&[0xFE, 0xFF])
        && memchr::memchr(0, &head[..head.len().min(SNIFF_LEN)]).is_some()
}

/// The bytes as the detector should see them, or `None` for binary data.
/// UTF-16 with a byte order mark (how Windows tools often save scripts) is
/// transcoded to UTF-8, so keys hidden that way are found; line numbers are
/// unchanged. Everything else is passed through as is.
pub fn text_view(bytes: &[u8]) -> Option<Cow<'_, [u8]>> {
    let utf16 = |body: &[u8], from: fn([u8; 2]) -> u16| {
        let units = body.chunks_exact(2).map(|c| from([c[0], c[1]]));
        let text: String = char::decode_utf16(units)
            .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        Cow::Owned(text.into_bytes())
    };
    match bytes {
        [0xFF, 0xFE, body @ ..] => Some(utf16(body, u16::from_le_bytes)),
        [0xFE, 0xFF, body @ ..] => Some(utf16(body, u16::from_be_bytes)),
        _ if is_binary(bytes) => None,
        _ => Some(Cow::Borrowed(bytes)),
    }
}

pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_sniff_looks_for_nul_in_the_head() {
        assert!(is_binary(b"abc\0def"));
        assert!(!is_binary(b"plain text\n"));
        let mut late = vec![b'a'; 10_000];
        late.push(0);
        assert!(!is_binary(&late));
        // UTF-16 holds NULs but is text.
        assert!(!is_binary(b"\xFF\xFEa\0b\0"));
    }

    #[test]
    fn utf16_with_bom_is_transcoded() {
        let text = "a\r\nkey = AKIAAU4PCZL6HT4DTCBS\r\n";
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(text_view(&le).unwrap().as_ref(), text.as_bytes());
        assert_eq!(text_view(&be).unwrap().as_ref(), text.as_bytes());
        assert!(text_view(b"bin\0ary").is_none());
        assert!(matches!(text_view(b"plain"), Some(Cow::Borrowed(_))));
    }

    #[test]
    fn human_bytes_units() {
        assert_eq!(human_bytes(12), "12 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 << 20), "3.0 MiB");
    }
}
