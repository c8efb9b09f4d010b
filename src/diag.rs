//! Diagnostics: one-line messages about inputs, printed to stderr as they
//! happen, and counted so the exit code can be honest about them.
//!
//! Invariant: no message ever contains secret material; callers pass paths
//! and error descriptions only.

use std::sync::atomic::{AtomicUsize, Ordering};

static ERRORS: AtomicUsize = AtomicUsize::new(0);

/// Reports an input that could not be scanned (an error: exit code 2).
pub fn error(path: &str, message: impl std::fmt::Display) {
    ERRORS.fetch_add(1, Ordering::Relaxed);
    eprintln!(
        "keygate: error: {}: {}",
        printable(path),
        printable(&message.to_string())
    );
}

/// Reports something the user should know that is not an error.
pub fn warn(path: &str, message: impl std::fmt::Display) {
    eprintln!(
        "keygate: warning: {}: {}",
        printable(path),
        printable(&message.to_string())
    );
}

/// How many errors were reported so far.
pub fn error_count() -> usize {
    ERRORS.load(Ordering::Relaxed)
}

/// Escapes what could drive a terminal or disguise text, so that a hostile
/// file name, file content, commit or server reply shows as inert text:
/// control characters (C0 such as ESC and BEL, DEL, C1 such as CSI) and the
/// bidirectional overrides that reorder how a line reads ("Trojan Source").
///
/// Invariant: everything keygate prints to a terminal that came from an
/// input passes through here.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        c.is_control()
            || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if s.chars().any(unsafe_char) {
        let mut out = String::with_capacity(s.len() + 8);
        for c in s.chars() {
            if unsafe_char(c) {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        out.into()
    } else {
        s.into()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(super::printable("a\x1b[31mb\n"), "a\\u{1b}[31mb\\n");
        assert_eq!(super::printable("plain/path.rs"), "plain/path.rs");
        assert_eq!(super::printable("t\x07\u{9b}2J"), "t\\u{7}\\u{9b}2J");
        assert_eq!(super::printable("a\u{202E}b"), "a\\u{202e}b");
        assert_eq!(super::printable("café ✓"), "café ✓");
    }
}
