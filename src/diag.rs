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
    eprintln!("keygate: error: {}: {message}", printable(path));
}

/// Reports something the user should know that is not an error.
pub fn warn(path: &str, message: impl std::fmt::Display) {
    eprintln!("keygate: warning: {}: {message}", printable(path));
}

/// How many errors were reported so far.
pub fn error_count() -> usize {
    ERRORS.load(Ordering::Relaxed)
}

/// Escapes control characters so a hostile file name cannot drive the
/// terminal.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(char::is_control) {
        s.chars()
            .flat_map(|c| {
                if c.is_control() {
                    c.escape_default().collect::<Vec<_>>()
                } else {
                    vec![c]
                }
            })
            .collect::<String>()
            .into()
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
    }
}
