//! Allowlists: ways to declare a candidate secret a known non-secret.
//!
//! An allowlist has up to three kinds of checks: paths (gitignore-style globs
//! or regexes), regexes (on the secret, the whole match or the line) and
//! stopwords (case-insensitive substrings of the secret). Under
//! [`Condition::Any`] (the default) one passing check allows a candidate;
//! under [`Condition::All`] every kind of check that is present must pass.

use std::path::Path;
use std::sync::OnceLock;

use anyhow::{anyhow, Context as _, Result};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use regex::bytes::{Regex, RegexSet, RegexSetBuilder};

use super::{AllowlistSpec, LazyRegex, RegexTarget, Trust};

/// How the checks of one allowlist combine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Condition {
    /// Any check that passes allows the candidate.
    #[default]
    Any,
    /// Every kind of check that is present must pass.
    All,
}

/// A compiled allowlist. The default allowlist allows nothing.
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    /// Compiled on first use: most runs never test a candidate.
    regexes: Vec<LazyRegex>,
    /// `regexes` as one set, built on first use; `None` if they are fewer
    /// than two or do not compile together (see [`Allowlist::set`]).
    set: OnceLock<Option<RegexSet>>,
    target: RegexTarget,
    /// Lowercased.
    stopwords: Vec<String>,
    paths: Paths,
    condition: Condition,
}

/// Path checks: gitignore-style globs (keygate files) and regexes (gitleaks
/// configs), both on the path relative to the scanned root.
#[derive(Debug, Clone, Default)]
struct Paths {
    globs: Option<Gitignore>,
    regexes: Vec<Regex>,
}

impl Paths {
    fn is_empty(&self) -> bool {
        self.globs.is_none() && self.regexes.is_empty()
    }

    fn matches(&self, path: &str) -> bool {
        // Gitignore matching panics on rooted paths; ours are relative, but an
        // explicit file argument can be absolute.
        let rel = path.trim_start_matches('/');
        let rel = rel.strip_prefix("./").unwrap_or(rel);
        if let Some(g) = &self.globs {
            if g.matched_path_or_any_parents(Path::new(rel), false)
                .is_ignore()
            {
                return true;
            }
        }
        self.regexes.iter().any(|r| r.is_match(path.as_bytes()))
    }
}

/// What an allowlist looks at for one candidate.
pub struct Candidate<'a> {
    pub secret: &'a [u8],
    pub whole_match: &'a [u8],
    pub line: &'a [u8],
    pub path: Option<&'a str>,
}

/// The parts of an allowlist, already compiled; see [`Allowlist::new`].
#[derive(Debug, Default)]
pub struct AllowlistParts {
    pub regexes: Vec<Regex>,
    pub target: RegexTarget,
    pub stopwords: Vec<String>,
    /// gitignore-style globs.
    pub path_globs: Vec<String>,
    pub path_regexes: Vec<Regex>,
    pub condition: Condition,
}

impl Allowlist {
    /// Compiles the `[allowlist]` table of a rule file. Errors name the
    /// offending key and value; `origin` names the table in later messages.
    pub fn compile(spec: &AllowlistSpec, origin: &str, trust: Trust) -> Result<Allowlist> {
        let regexes = spec
            .regexes
            .iter()
            .map(|r| LazyRegex::new(r, origin, trust).with_context(|| format!("regexes: {r:?}")))
            .collect::<Result<_>>()?;
        let mut list = Allowlist::new(AllowlistParts {
            target: spec.regex_target,
            stopwords: spec.stopwords.clone(),
            path_globs: spec.paths.clone(),
            ..AllowlistParts::default()
        })?;
        list.regexes = regexes;
        Ok(list)
    }

    /// Builds an allowlist from compiled parts; fails only on a bad glob.
    pub fn new(parts: AllowlistParts) -> Result<Allowlist> {
        let globs = if parts.path_globs.is_empty() {
            None
        } else {
            let mut b = GitignoreBuilder::new("");
            for p in &parts.path_globs {
                b.add_line(None, p)
                    .map_err(|e| anyhow!("paths: {p:?}: {e}"))?;
            }
            Some(b.build().map_err(|e| anyhow!("paths: {e}"))?)
        };
        Ok(Allowlist {
            regexes: parts
                .regexes
                .into_iter()
                .map(|r| LazyRegex::compiled(r, "allowlist"))
                .collect(),
            set: OnceLock::new(),
            target: parts.target,
            stopwords: parts.stopwords.iter().map(|s| s.to_lowercase()).collect(),
            paths: Paths {
                globs,
                regexes: parts.path_regexes,
            },
            condition: parts.condition,
        })
    }

    /// True if every regex compiles (they are compiled on first use).
    pub fn regexes_compile(&self) -> bool {
        self.regexes.iter().all(|r| r.get().is_some())
    }

    /// True if the allowlist has no checks at all.
    pub fn is_empty(&self) -> bool {
        self.regexes.is_empty() && self.stopwords.is_empty() && self.paths.is_empty()
    }

    /// True if the candidate is allowed, i.e. must not be reported.
    pub fn allows(&self, c: &Candidate<'_>) -> bool {
        let path =
            || (!self.paths.is_empty()).then(|| c.path.is_some_and(|p| self.paths.matches(p)));
        let regex = || {
            (!self.regexes.is_empty()).then(|| {
                let target = match self.target {
                    RegexTarget::Secret => c.secret,
                    RegexTarget::Match => c.whole_match,
                    RegexTarget::Line => c.line,
                };
                match self.set() {
                    Some(set) => set.is_match(target),
                    None => self.regexes.iter().any(|r| r.is_match(target)),
                }
            })
        };
        let stopword = || {
            (!self.stopwords.is_empty()).then(|| {
                let lower = String::from_utf8_lossy(c.secret).to_lowercase();
                self.stopwords.iter().any(|w| lower.contains(w.as_str()))
            })
        };
        match self.condition {
            Condition::Any => {
                path() == Some(true) || regex() == Some(true) || stopword() == Some(true)
            }
            Condition::All => {
                let checks = [path(), regex(), stopword()];
                checks.iter().any(Option::is_some) && !checks.contains(&Some(false))
            }
        }
    }

    /// The regexes as one set, searched in one pass instead of one pass
    /// each: a global allowlist has a dozen, tried on every candidate.
    /// Built with ASCII classes, as [`super::compile_regex`] builds each
    /// one; if a pattern needs Unicode (or is broken), the regexes are
    /// tried one by one instead, each compiled as it would be alone.
    fn set(&self) -> Option<&RegexSet> {
        self.set
            .get_or_init(|| {
                if self.regexes.len() < 2 {
                    return None;
                }
                RegexSetBuilder::new(self.regexes.iter().map(LazyRegex::pattern))
                    .unicode(false)
                    .size_limit(64 << 20)
                    .dfa_size_limit(64 << 20)
                    .build()
                    .ok()
            })
            .as_ref()
    }

    /// Whether `path` passes this allowlist's path check; `None` if it has
    /// none. Nothing else this allowlist decides depends on the path.
    pub fn path_check(&self, path: &str) -> Option<bool> {
        (!self.paths.is_empty()).then(|| self.paths.matches(path))
    }

    /// True if the path alone allows every candidate in the file, so it need
    /// not be searched at all.
    pub fn allows_path(&self, path: &str) -> bool {
        if self.paths.is_empty() || !self.paths.matches(path) {
            return false;
        }
        match self.condition {
            Condition::Any => true,
            Condition::All => self.regexes.is_empty() && self.stopwords.is_empty(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::compile_regex;

    fn cand<'a>(secret: &'a str, path: &'a str) -> Candidate<'a> {
        Candidate {
            secret: secret.as_bytes(),
            whole_match: secret.as_bytes(),
            line: secret.as_bytes(),
            path: Some(path),
        }
    }

    fn globs(globs: &[&str]) -> Allowlist {
        Allowlist::new(AllowlistParts {
            path_globs: globs.iter().map(|g| g.to_string()).collect(),
            ..AllowlistParts::default()
        })
        .unwrap()
    }

    #[test]
    fn path_globs_follow_gitignore_rules() {
        let a = globs(&[
            "*.lock",
            "/top.txt",
            "fixtures/",
            "docs/**/*.md",
            "!keep.lock",
        ]);
        assert!(a.allows_path("Cargo.lock"));
        assert!(a.allows_path("deep/dir/yarn.lock"));
        assert!(!a.allows_path("keep.lock"));
        assert!(a.allows_path("top.txt"));
        assert!(!a.allows_path("sub/top.txt"));
        assert!(a.allows_path("a/fixtures/key.pem"));
        assert!(a.allows_path("docs/x/y/readme.md"));
        assert!(!a.allows_path("src/readme.md"));
        assert!(
            a.allows_path("/abs/Cargo.lock"),
            "rooted paths do not panic"
        );
        assert!(a.allows_path("./x/Cargo.lock"));
    }

    #[test]
    fn all_condition_needs_every_present_check() {
        let a = Allowlist::new(AllowlistParts {
            regexes: vec![compile_regex("^test_").unwrap()],
            path_regexes: vec![compile_regex(r"package-lock\.json").unwrap()],
            condition: Condition::All,
            ..AllowlistParts::default()
        })
        .unwrap();
        assert!(a.allows(&cand("test_abc", "web/package-lock.json")));
        assert!(!a.allows(&cand("test_abc", "web/main.js")));
        assert!(!a.allows(&cand("live_abc", "web/package-lock.json")));
        assert!(!a.allows_path("web/package-lock.json"));
    }

    /// Searched as one set, or one by one when a pattern needs Unicode:
    /// the same answers either way.
    #[test]
    fn regexes_allow_as_a_set_or_one_by_one() {
        let list = |patterns: &[&str]| {
            Allowlist::new(AllowlistParts {
                regexes: patterns.iter().map(|p| compile_regex(p).unwrap()).collect(),
                ..AllowlistParts::default()
            })
            .unwrap()
        };
        let ascii = list(&[r"^abc", r"(?i)x{4}", r"\d$"]);
        assert!(ascii.set().is_some());
        let unicode = list(&[r"^abc", r"(?i)x{4}", r"\d$", r"^\p{Greek}+$"]);
        assert!(unicode.set().is_none());
        for a in [&ascii, &unicode] {
            assert!(a.allows(&cand("abcdef", "p")));
            assert!(a.allows(&cand("aXxXxb", "p")));
            assert!(a.allows(&cand("key7", "p")));
            assert!(!a.allows(&cand("zabc", "p")));
        }
        assert!(unicode.allows(&cand("\u{3b1}\u{3b2}", "p")));
    }

    #[test]
    fn any_condition_and_empty_allowlist() {
        assert!(!Allowlist::default().allows(&cand("x", "y")));
        let a = Allowlist::new(AllowlistParts {
            stopwords: vec!["Dummy".into()],
            path_globs: vec!["vendor/".into()],
            ..AllowlistParts::default()
        })
        .unwrap();
        assert!(a.allows(&cand("my_DUMMY_key", "src/a.rs")));
        assert!(a.allows(&cand("real", "vendor/a.rs")));
        assert!(!a.allows(&cand("real", "src/a.rs")));
    }
}
