//! Locating config errors: byte spans from the TOML parser to
//! `file:line:column` prefixes.

use std::ops::Range;

use anyhow::{anyhow, Error};

/// A config file's name and text, for error messages.
#[derive(Debug, Clone, Copy)]
pub struct FileText<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

impl FileText<'_> {
    /// `file:line:column` of the start of `span`.
    pub fn at(&self, span: &Range<usize>) -> String {
        let (line, col) = line_col(self.text, span.start);
        format!("{}:{line}:{col}", self.name)
    }

    /// An error located at `span`.
    pub fn error(&self, span: &Range<usize>, message: impl std::fmt::Display) -> Error {
        anyhow!("{}: {message}", self.at(span))
    }

    /// A TOML syntax or shape error, located when the parser says where.
    pub fn toml_error(&self, e: &toml::de::Error) -> Error {
        let message = one_line(e.message()).replace("unknown field", "unknown key");
        match e.span() {
            Some(span) => self.error(&span, message),
            None => anyhow!("{}: {message}", self.name),
        }
    }

    /// The span of the line that sets `key` inside the table at `table`
    /// (a `key = ...` line), or the table's own span if there is none.
    pub fn key_span(&self, table: &Range<usize>, key: &str) -> Range<usize> {
        let body = self.text.get(table.clone()).unwrap_or("");
        let mut offset = table.start;
        for line in body.split_inclusive('\n') {
            let trimmed = line.trim_start();
            if let Some(rest) = trimmed.strip_prefix(key) {
                if rest.trim_start().starts_with('=') {
                    let start = offset + (line.len() - trimmed.len());
                    return start..start + key.len();
                }
            }
            offset += line.len();
        }
        table.clone()
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 10), (2, 4));
        assert_eq!(line_col(text, 999), (3, 1));
    }

    #[test]
    fn key_span_finds_the_key_line_in_a_table() {
        let text = "[[rule]]\nid = \"x\"\n  regex = 'a('\n";
        let f = FileText {
            name: "c.toml",
            text,
        };
        let span = f.key_span(&(0..text.len()), "regex");
        assert_eq!(f.at(&span), "c.toml:3:3");
        assert_eq!(f.key_span(&(0..8), "nope"), 0..8);
    }
}
