//! Fuzz harnesses, shared by the `cargo fuzz` targets in `fuzz/` and by
//! `tests/fuzz_corpus.rs`, which replays their corpora under `cargo test`
//! (CI cannot run libFuzzer). Each takes arbitrary bytes, must not panic,
//! and asserts the invariants its code path promises.

use std::path::Path;

use crate::baseline::Baseline;
use crate::config::Config;
use crate::detect::{Detector, Scratch};
use crate::rules::RuleSet;
use crate::source::text_view;

/// The detector on a file's bytes, as a file source hands them over.
/// Matches are in bounds, sorted, non-empty, and at the line and column
/// their offset gives.
pub fn detect(d: &Detector, data: &[u8], scratch: &mut Scratch) {
    let Some(text) = text_view(data) else {
        return;
    };
    let hay: &[u8] = &text;
    let found = d.detect(hay, Some("fuzz/input.txt"), scratch);
    let mut last = 0;
    for m in &found {
        assert!(m.start < m.end && m.end <= hay.len(), "{m:?}");
        assert!(m.start >= last, "unsorted: {m:?}");
        last = m.start;
        let before = &hay[..m.start];
        let line = 1 + memchr::memchr_iter(b'\n', before).count();
        let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
        assert_eq!((m.line, m.column), (line, m.start - line_start + 1));
    }
}

/// A rule file: parsing never panics, and a rule set that parses scans
/// its own text without panicking.
pub fn rules(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut set = RuleSet::default();
    if set.add_file("fuzz.toml", text).is_ok() {
        let d = Detector::new(set);
        d.detect(data, Some("fuzz.toml"), &mut Scratch::default());
    }
}

/// A project config in either format (the first byte picks the file name,
/// and so the format).
pub fn config(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let name = if pick & 1 == 0 {
        ".keygate.toml"
    } else {
        ".gitleaks.toml"
    };
    // A directory that does not exist: an `[extend] path` finds nothing.
    let path = Path::new("/nonexistent-keygate-fuzz").join(name);
    let _ = Config::parse(&path, text, pick & 2 != 0);
}

/// A baseline file: parsing never panics, and what parses writes back to
/// text that parses to the same entries.
pub fn baseline(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(b) = Baseline::parse("fuzz.baseline", text) {
        let again =
            Baseline::parse("fuzz.baseline", &b.to_text()).expect("a written baseline parses");
        assert_eq!(again.len(), b.len());
    }
}
