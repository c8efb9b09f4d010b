//! Rule regexes compiled on first use.
//!
//! Most rules never see one of their keywords in a given run (a pre-commit
//! hook scans one small diff), and compiling all ~100 built-in regexes took
//! longer than scanning. So a rule's syntax is checked when it is loaded —
//! bad patterns still fail at load time, naming the rule — and the regex is
//! compiled the first time a keyword of the rule occurs.

use std::sync::OnceLock;

use anyhow::{anyhow, Result};
use regex::bytes::Regex;
use regex_syntax::hir::{Hir, HirKind};

use super::compile_regex;
use super::required::Required;
use crate::diag;

/// Whether patterns being loaded still need their syntax checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// User input: check every pattern at load time.
    Checked,
    /// The built-in rules, checked by `cargo test` instead; skipping the
    /// parse saves most of the start-up time of a pre-commit hook.
    Builtin,
}

#[derive(Debug, Clone)]
pub struct LazyRegex {
    pattern: String,
    /// Where the pattern came from, for the message if compiling fails.
    origin: String,
    /// `None` once compiling failed (reported once; the rule is skipped).
    compiled: OnceLock<Option<Regex>>,
    /// Derived on first use, like `compiled`.
    required: OnceLock<Option<Required>>,
}

/// What parsing a pattern tells without compiling it.
pub struct Parsed {
    pub regex: LazyRegex,
    /// Number of capture groups, group 0 (the whole match) included.
    pub captures_len: usize,
    /// Index of the group named `secret`, if any.
    pub secret_group: Option<usize>,
}

impl LazyRegex {
    /// Checks `pattern`'s syntax (as `regex::bytes` would parse it).
    pub fn parse(pattern: &str, origin: &str) -> Result<Parsed> {
        let hir = regex_syntax::ParserBuilder::new()
            .utf8(false)
            .build()
            .parse(pattern)
            .map_err(|e| anyhow!("{}", super::one_line(&e.to_string())))?;
        let mut secret_group = None;
        find_named(&hir, "secret", &mut secret_group);
        Ok(Parsed {
            regex: LazyRegex {
                pattern: pattern.to_string(),
                origin: origin.to_string(),
                compiled: OnceLock::new(),
                required: OnceLock::new(),
            },
            captures_len: hir.properties().explicit_captures_len() + 1,
            secret_group,
        })
    }

    /// Takes `pattern` without checking it: for the built-in rules, whose
    /// every pattern `cargo test` parses and compiles
    /// (`builtin_rules_pass_load_time_checks`).
    pub fn trusted(pattern: &str, origin: &str) -> LazyRegex {
        LazyRegex {
            pattern: pattern.to_string(),
            origin: origin.to_string(),
            compiled: OnceLock::new(),
            required: OnceLock::new(),
        }
    }

    /// Checks `pattern`'s syntax unless `trust` says it was checked already.
    pub fn new(pattern: &str, origin: &str, trust: Trust) -> Result<LazyRegex> {
        match trust {
            Trust::Checked => Ok(LazyRegex::parse(pattern, origin)?.regex),
            Trust::Builtin => Ok(LazyRegex::trusted(pattern, origin)),
        }
    }

    /// True if the regex matches; a regex that cannot be compiled matches
    /// nothing (and was reported).
    pub fn is_match(&self, hay: &[u8]) -> bool {
        self.get().is_some_and(|r| r.is_match(hay))
    }

    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Wraps a regex that is already compiled.
    pub fn compiled(regex: Regex, origin: &str) -> LazyRegex {
        LazyRegex {
            pattern: regex.as_str().to_string(),
            origin: origin.to_string(),
            compiled: OnceLock::from(Some(regex)),
            required: OnceLock::new(),
        }
    }

    /// The compiled regex; `None` if it cannot be compiled (e.g. it is
    /// too big), which is reported once.
    pub fn get(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| match compile_regex(&self.pattern) {
                Ok(r) => Some(r),
                Err(e) => {
                    diag::error(&self.origin, format!("regex cannot be compiled: {e}"));
                    None
                }
            })
            .as_ref()
    }

    /// What every match contains (see [`Required`]), if the pattern
    /// needs something cheap to look for.
    pub fn required(&self) -> Option<&Required> {
        self.required
            .get_or_init(|| {
                // Parsed as `compile_regex` compiles it: ASCII classes unless
                // the pattern needs Unicode.
                let parse = |unicode| {
                    regex_syntax::ParserBuilder::new()
                        .unicode(unicode)
                        .utf8(false)
                        .build()
                        .parse(&self.pattern)
                        .ok()
                };
                let hir = parse(false).or_else(|| parse(true))?;
                Required::of(&hir)
            })
            .as_ref()
    }
}

fn find_named(hir: &Hir, name: &str, out: &mut Option<usize>) {
    match hir.kind() {
        HirKind::Capture(c) => {
            if c.name.as_deref() == Some(name) && out.is_none() {
                *out = Some(c.index as usize);
            }
            find_named(&c.sub, name, out);
        }
        HirKind::Repetition(r) => find_named(&r.sub, name, out),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            subs.iter().for_each(|h| find_named(h, name, out))
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_finds_groups_without_compiling() {
        let p = LazyRegex::parse(r"(a)(?:b)(?P<secret>c)|(?<other>d)", "t").unwrap();
        assert_eq!(p.captures_len, 4);
        assert_eq!(p.secret_group, Some(2));
        assert!(p.regex.compiled.get().is_none());
        assert!(p.regex.get().unwrap().is_match(b"abc"));
        assert!(LazyRegex::parse("(unclosed", "t").is_err());
        assert!(LazyRegex::parse(r"(?-u:\xFF)", "t").is_ok());
    }
}
