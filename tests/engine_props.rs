//! Property tests of the detection engine: a secret is found wherever it
//! sits in arbitrary bytes — at offset 0, at the very end, across chunk and
//! window boundaries, after CRLF lines, with or without a trailing newline —
//! and reported at the right line and column.

use keygate::detect::{Detector, Scratch};
use proptest::prelude::*;
use std::sync::OnceLock;

fn detector() -> &'static Detector {
    static D: OnceLock<Detector> = OnceLock::new();
    D.get_or_init(|| Detector::builtin().unwrap())
}

const KEY: &[u8] = b"AKIAAU4PCZL6HT4DTCBS";

/// Arbitrary bytes that cannot glue onto the key (no word characters at the
/// edges is ensured by the separators added around the key) and cannot
/// contain the allow marker or another key.
fn filler(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max).prop_map(|mut v| {
        for b in &mut v {
            // Uppercase letters and digits could extend into a key-shaped
            // token; NUL would make the buffer binary for real sources.
            if b.is_ascii_uppercase() || *b == 0 {
                *b = b'.';
            }
        }
        v
    })
}

fn expected_position(before: &[u8]) -> (usize, usize) {
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    (line, before.len() - line_start + 1)
}

fn check(before: &[u8], after: &[u8]) -> Result<(), TestCaseError> {
    let mut hay = before.to_vec();
    hay.extend_from_slice(KEY);
    hay.extend_from_slice(after);
    let found = detector().detect(&hay, None, &mut Scratch::default());
    let hit = found
        .iter()
        .find(|m| &hay[m.start..m.end] == KEY)
        .ok_or_else(|| TestCaseError::fail("key not found"))?;
    prop_assert_eq!((hit.line, hit.column), expected_position(before));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn key_found_anywhere_in_arbitrary_bytes(
        before in filler(3000),
        after in filler(3000),
        sep in prop::sample::select(vec![&b" "[..], b"\n", b"\r\n", b"=", b"\"", b"\t"]),
    ) {
        let mut b = before;
        if !b.is_empty() { b.extend_from_slice(sep); }
        let mut a = after;
        if !a.is_empty() { a.insert(0, b'\n'); }
        check(&b, &a)?;
    }

    #[test]
    fn key_found_across_chunk_boundaries(
        shift in 0usize..64,
        lines in 0usize..3,
        crlf in any::<bool>(),
        trailing_newline in any::<bool>(),
    ) {
        // The prefilter works on 64 KiB chunks: put the key across and
        // around the first boundary.
        let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        let mut before = Vec::new();
        for _ in 0..lines {
            before.extend_from_slice(b"x = 1");
            before.extend_from_slice(eol);
        }
        let target = 64 * 1024 - 32 + shift;
        before.resize(target.max(before.len()), b'.');
        before.push(b' ');
        let after: &[u8] = if trailing_newline { eol } else { b"" };
        check(&before, after)?;
    }
}

#[test]
fn key_at_offset_zero_and_at_the_last_byte() {
    check(b"", b"").unwrap();
    check(b"", b"\n").unwrap();
    check(b"line\r\n", b"").unwrap();
}
