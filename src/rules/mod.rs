//! Rules: loading rule files (TOML) and compiling them into a [`RuleSet`].
//!
//! Rules are data. The built-in ones are the files in `rules/` at build time;
//! more can be loaded from files. A `RuleSet` is immutable once built and is
//! shared by every scanning thread.

mod allowlist;
mod lazy;
mod required;
mod spec;

pub use lazy::{LazyRegex, Trust};
pub use required::Required;

pub use allowlist::{Allowlist, AllowlistParts, Candidate, Condition};
pub use spec::{AllowlistSpec, ContextSpec, RegexTarget, RuleFileSpec, RuleSpec};

use anyhow::{anyhow, bail, Context as _, Result};
use regex::bytes::{Regex, RegexBuilder};

use crate::finding::Severity;

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
}

/// Default number of bytes after a keyword hit a rule's regex may read.
pub const DEFAULT_WINDOW: usize = 512;

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub description: String,
    pub keywords: Vec<String>,
    /// Compiled on first use; see `lazy`.
    pub regex: LazyRegex,
    /// The capture group holding the secret; `None` means the first group
    /// that took part in the match (whole match if the regex has no group).
    pub secret_group: Option<usize>,
    pub min_entropy: Option<f64>,
    pub window: usize,
    /// See [`RuleSpec::window_lines`].
    pub window_lines: Option<usize>,
    pub fallback: bool,
    /// Default severity of this rule's findings (`high` when unset).
    pub severity: Severity,
    pub context: Option<Context>,
    /// Any of these allows a candidate; usually zero or one.
    pub allowlists: Vec<Allowlist>,
    /// When set, the rule only runs on buffers whose path matches (gitleaks
    /// `path`); it never runs on buffers without a path.
    pub path: Option<Regex>,
    pub examples: Vec<String>,
    pub counterexamples: Vec<String>,
    /// Where the rule came from, for messages (`rules/aws.toml`).
    pub origin: String,
}

/// A regex that must match near a secret for it to count.
#[derive(Debug)]
pub struct Context {
    pub regex: LazyRegex,
    pub distance: usize,
}

/// A rule that reports a file by its path alone, without reading it
/// (gitleaks' `path`-only rules: keystores such as `.p12` files).
#[derive(Debug)]
pub struct FileRule {
    pub id: String,
    pub description: String,
    /// Matched against the path relative to the scanned root.
    pub path: Regex,
    pub severity: Severity,
    /// Path allowlists; any of them allows a file.
    pub allowlists: Vec<Allowlist>,
    pub origin: String,
}

impl FileRule {
    /// True if the file at `path` (relative to the scanned root) is
    /// reported by this rule.
    pub fn matches(&self, path: &str) -> bool {
        self.path.is_match(path.as_bytes()) && !self.allowlists.iter().any(|a| a.allows_path(path))
    }
}

/// All rules plus the allowlists that apply to every rule.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub global_allowlists: Vec<Allowlist>,
    /// Rules on file paths alone; the detector never sees them.
    pub file_rules: Vec<FileRule>,
}

impl RuleSet {
    /// The rules compiled into the binary.
    pub fn builtin() -> Result<RuleSet> {
        let mut set = RuleSet::default();
        for (name, text) in builtin::RULE_FILES {
            set.add_file_with(&format!("rules/{name}"), text, Trust::Builtin)?;
        }
        Ok(set)
    }

    /// What `path` changes about the findings: one bit per path check of
    /// any rule or allowlist (a path allowlist, a rule's `path`, a file
    /// rule). Equal content under two paths with equal keys gives the same
    /// findings; with no path checks at all, every key is empty.
    pub fn path_key(&self, path: &str) -> Vec<u64> {
        let rule_allowlists = self.rules.iter().flat_map(|r| &r.allowlists);
        let checks = self
            .global_allowlists
            .iter()
            .chain(rule_allowlists)
            .filter_map(|a| a.path_check(path))
            .chain(
                self.rules
                    .iter()
                    .filter_map(|r| r.path.as_ref().map(|re| re.is_match(path.as_bytes()))),
            )
            .chain(self.file_rules.iter().map(|r| r.matches(path)));
        let mut key = Vec::new();
        for (i, bit) in checks.enumerate() {
            if i % 64 == 0 {
                key.push(0);
            }
            key[i / 64] |= u64::from(bit) << (i % 64);
        }
        key
    }

    /// Parses and compiles one rule file, adding its rules and allowlist.
    /// `origin` names the file in error messages.
    pub fn add_file(&mut self, origin: &str, text: &str) -> Result<()> {
        self.add_file_with(origin, text, Trust::Checked)
    }

    fn add_file_with(&mut self, origin: &str, text: &str, trust: Trust) -> Result<()> {
        let spec: RuleFileSpec =
            toml::from_str(text).map_err(|e| anyhow!("{origin}: {}", one_line(&e.to_string())))?;
        if let Some(a) = &spec.allowlist {
            let what = format!("{origin}: [allowlist]");
            self.global_allowlists
                .push(Allowlist::compile(a, &what, trust).with_context(|| what.clone())?);
        }
        for r in spec.rules {
            self.add_rule_with(origin, r, trust)?;
        }
        Ok(())
    }

    pub fn add_rule(&mut self, origin: &str, r: RuleSpec) -> Result<()> {
        self.add_rule_with(origin, r, Trust::Checked)
    }

    fn add_rule_with(&mut self, origin: &str, r: RuleSpec, trust: Trust) -> Result<()> {
        let shared = r.allowlist_of.clone();
        let mut rule = compile_rule(origin, r, trust)?;
        if self.rules.iter().any(|x| x.id == rule.id) {
            bail!("{origin}: rule {:?} is defined twice", rule.id);
        }
        if let Some(id) = shared {
            let Some(other) = self.get(&id) else {
                bail!(
                    "{origin}: rule {:?}: allowlist_of: no rule {id:?} is defined before it",
                    rule.id
                );
            };
            rule.allowlists.extend(other.allowlists.iter().cloned());
        }
        self.rules.push(rule);
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Rule> {
        self.rules.iter_mut().find(|r| r.id == id)
    }

    /// True if a rule or file rule has this id.
    pub fn contains(&self, id: &str) -> bool {
        self.get(id).is_some() || self.file_rules.iter().any(|r| r.id == id)
    }

    /// Drops the rule or file rule `id`; false if there is none.
    pub fn remove(&mut self, id: &str) -> bool {
        let before = self.rules.len() + self.file_rules.len();
        self.rules.retain(|r| r.id != id);
        self.file_rules.retain(|r| r.id != id);
        self.rules.len() + self.file_rules.len() != before
    }
}

fn compile_rule(origin: &str, r: RuleSpec, trust: Trust) -> Result<Rule> {
    let ctx = |what: &str| format!("{origin}: rule {:?}: {what}", r.id);
    if r.id.is_empty() {
        bail!("{origin}: a rule has an empty id");
    }
    let name = format!("{origin}: rule {:?}", r.id);
    let (regex, secret_group) = match trust {
        Trust::Checked => {
            let parsed = LazyRegex::parse(&r.regex, &name).with_context(|| ctx("regex"))?;
            let group = match r.secret_group {
                Some(g) if g < parsed.captures_len => Some(g),
                Some(g) => bail!("{}: the regex has no group {g}", ctx("secret_group")),
                None => parsed.secret_group,
            };
            (parsed.regex, group)
        }
        // Built-in rules name their group by number (checked by the test
        // `builtin_rules_pass_load_time_checks`).
        Trust::Builtin => (LazyRegex::trusted(&r.regex, &name), r.secret_group),
    };
    if r.keywords.iter().any(|k| k.is_empty()) {
        bail!("{}: empty keyword", ctx("keywords"));
    }
    let context = r
        .context
        .as_ref()
        .map(|c| -> Result<Context> {
            Ok(Context {
                regex: LazyRegex::new(&c.regex, &name, trust)
                    .with_context(|| ctx("context.regex"))?,
                distance: c.distance,
            })
        })
        .transpose()?;
    let allowlists = match &r.allowlist {
        Some(a) => vec![Allowlist::compile(a, &name, trust).with_context(|| ctx("allowlist"))?],
        None => Vec::new(),
    };
    let severity = match r.severity.as_deref() {
        None => Severity::High,
        Some(s) => Severity::parse(s).ok_or_else(|| {
            anyhow!(
                "{}: {s:?} is not one of critical, high, medium, low",
                ctx("severity")
            )
        })?,
    };
    if let Some(e) = r.min_entropy {
        if !(0.0..=8.0).contains(&e) {
            bail!("{}: must be between 0 and 8 bits", ctx("min_entropy"));
        }
    }
    Ok(Rule {
        id: r.id,
        description: r.description,
        keywords: r.keywords,
        regex,
        secret_group,
        min_entropy: r.min_entropy,
        window: r.window.unwrap_or(DEFAULT_WINDOW),
        window_lines: r.window_lines,
        fallback: r.fallback,
        severity,
        context,
        allowlists,
        path: None,
        examples: r.examples,
        counterexamples: r.counterexamples,
        origin: origin.to_string(),
    })
}

/// Compiles a rule regex with the size limits raised enough for long
/// bounded repetitions (`{100,2000}`) that credential formats need.
///
/// Classes such as `\w`, `\s` and `\b` are ASCII, as in gitleaks' Go (RE2)
/// regexes: secrets are ASCII, and Unicode classes make the regex's DFA
/// larger and give up on non-ASCII input (a Unicode `\b` forces the slower
/// engines). A pattern that needs Unicode (`\p{L}`, a non-ASCII literal
/// under `(?i)`) is compiled with Unicode on.
pub fn compile_regex(pattern: &str) -> Result<Regex> {
    let build = |unicode| {
        RegexBuilder::new(pattern)
            .unicode(unicode)
            .size_limit(64 << 20)
            .dfa_size_limit(64 << 20)
            .build()
    };
    build(false)
        .or_else(|_| build(true))
        .map_err(|e| anyhow!("{}", one_line(&e.to_string())))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `RuleSet::builtin` skips the load-time checks (`Trust::Builtin`);
    /// this is where the built-in rules get them instead.
    #[test]
    fn builtin_rules_pass_load_time_checks() {
        let mut checked = RuleSet::default();
        for (name, text) in builtin::RULE_FILES {
            checked.add_file(name, text).unwrap();
        }
        let trusted = RuleSet::builtin().unwrap();
        assert_eq!(checked.rules.len(), trusted.rules.len());
        for (c, t) in checked.rules.iter().zip(&trusted.rules) {
            assert_eq!(c.secret_group, t.secret_group, "rule {}", c.id);
            assert!(t.regex.get().is_some(), "rule {} compiles", t.id);
            if let Some(ctx) = &t.context {
                assert!(ctx.regex.get().is_some(), "rule {} context", t.id);
            }
        }
        for a in trusted.rules.iter().flat_map(|r| &r.allowlists) {
            assert!(a.regexes_compile());
        }
        assert!(trusted
            .global_allowlists
            .iter()
            .all(Allowlist::regexes_compile));
    }

    #[test]
    fn allowlist_of_shares_an_earlier_rules_allowlists() {
        let rule = |id: &str, extra: &str| {
            format!("[[rule]]\nid = \"{id}\"\ndescription = \"d\"\nregex = 'x(\\w+)'\n{extra}")
        };
        let mut set = RuleSet::default();
        let text = rule("a", "[rule.allowlist]\nstopwords = [\"dummy\"]\n")
            + &rule("b", "allowlist_of = \"a\"\n");
        set.add_file("t.toml", &text).unwrap();
        let cand = Candidate {
            secret: b"dummy1",
            whole_match: b"xdummy1",
            line: b"xdummy1",
            path: None,
        };
        assert!(set
            .get("b")
            .unwrap()
            .allowlists
            .iter()
            .any(|a| a.allows(&cand)));

        let err = RuleSet::default()
            .add_file("t.toml", &rule("b", "allowlist_of = \"later\"\n"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.toml: rule \"b\": allowlist_of: no rule \"later\" is defined before it"
        );
    }
}
