//! Rules: loading rule files (TOML) and compiling them into a [`RuleSet`].
//!
//! Rules are data. The built-in ones are the files in `rules/` at build time;
//! more can be loaded from files. A `RuleSet` is immutable once built and is
//! shared by every scanning thread.

mod spec;

pub use spec::{AllowlistSpec, ContextSpec, RegexTarget, RuleFileSpec, RuleSpec};

use anyhow::{anyhow, bail, Context as _, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};
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
    pub regex: Regex,
    /// The capture group holding the secret; `None` means the first group
    /// that took part in the match (whole match if the regex has no group).
    pub secret_group: Option<usize>,
    pub min_entropy: Option<f64>,
    pub window: usize,
    pub fallback: bool,
    /// Default severity of this rule's findings (`high` when unset).
    pub severity: Severity,
    pub context: Option<Context>,
    pub allowlist: Allowlist,
    pub examples: Vec<String>,
    pub counterexamples: Vec<String>,
    /// Where the rule came from, for messages (`rules/aws.toml`).
    pub origin: String,
}

/// A regex that must match near a secret for it to count.
#[derive(Debug)]
pub struct Context {
    pub regex: Regex,
    pub distance: usize,
}

/// Ways to declare a candidate a known non-secret.
#[derive(Debug, Default)]
pub struct Allowlist {
    regexes: Vec<Regex>,
    target: RegexTarget,
    /// Lowercased.
    stopwords: Vec<String>,
    paths: Option<GlobSet>,
}

/// What an allowlist looks at for one candidate.
pub struct Candidate<'a> {
    pub secret: &'a [u8],
    pub whole_match: &'a [u8],
    pub line: &'a [u8],
    pub path: Option<&'a str>,
}

impl Allowlist {
    pub fn compile(spec: &AllowlistSpec) -> Result<Allowlist> {
        let regexes = spec
            .regexes
            .iter()
            .map(|r| compile_regex(r).with_context(|| format!("allowlist regex {r:?}")))
            .collect::<Result<_>>()?;
        let paths = if spec.paths.is_empty() {
            None
        } else {
            let mut b = GlobSetBuilder::new();
            for p in &spec.paths {
                b.add(Glob::new(p).with_context(|| format!("allowlist path glob {p:?}"))?);
            }
            Some(b.build()?)
        };
        Ok(Allowlist {
            regexes,
            target: spec.regex_target,
            stopwords: spec.stopwords.iter().map(|s| s.to_lowercase()).collect(),
            paths,
        })
    }

    /// True if the candidate is allowed, i.e. must not be reported.
    pub fn allows(&self, c: &Candidate<'_>) -> bool {
        if let (Some(set), Some(path)) = (&self.paths, c.path) {
            if set.is_match(path) {
                return true;
            }
        }
        let target = match self.target {
            RegexTarget::Secret => c.secret,
            RegexTarget::Match => c.whole_match,
            RegexTarget::Line => c.line,
        };
        if self.regexes.iter().any(|r| r.is_match(target)) {
            return true;
        }
        if !self.stopwords.is_empty() {
            let lower = c.secret.to_ascii_lowercase();
            let lower = String::from_utf8_lossy(&lower);
            if self.stopwords.iter().any(|w| lower.contains(w.as_str())) {
                return true;
            }
        }
        false
    }

    /// True if only paths are listed (so it can be checked before reading).
    pub fn allows_path(&self, path: &str) -> bool {
        self.paths.as_ref().is_some_and(|s| s.is_match(path))
    }
}

/// All rules plus the allowlists that apply to every rule.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub global_allowlists: Vec<Allowlist>,
}

impl RuleSet {
    /// The rules compiled into the binary.
    pub fn builtin() -> Result<RuleSet> {
        let mut set = RuleSet::default();
        for (name, text) in builtin::RULE_FILES {
            set.add_file(&format!("rules/{name}"), text)?;
        }
        Ok(set)
    }

    /// Parses and compiles one rule file, adding its rules and allowlist.
    /// `origin` names the file in error messages.
    pub fn add_file(&mut self, origin: &str, text: &str) -> Result<()> {
        let spec: RuleFileSpec =
            toml::from_str(text).map_err(|e| anyhow!("{origin}: {}", one_line(&e.to_string())))?;
        if let Some(a) = &spec.allowlist {
            self.global_allowlists
                .push(Allowlist::compile(a).with_context(|| format!("{origin}: [allowlist]"))?);
        }
        for r in spec.rules {
            self.add_rule(origin, r)?;
        }
        Ok(())
    }

    pub fn add_rule(&mut self, origin: &str, r: RuleSpec) -> Result<()> {
        let rule = compile_rule(origin, r)?;
        if self.rules.iter().any(|x| x.id == rule.id) {
            bail!("{origin}: rule {:?} is defined twice", rule.id);
        }
        self.rules.push(rule);
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

fn compile_rule(origin: &str, r: RuleSpec) -> Result<Rule> {
    let ctx = |what: &str| format!("{origin}: rule {:?}: {what}", r.id);
    if r.id.is_empty() {
        bail!("{origin}: a rule has an empty id");
    }
    let regex = compile_regex(&r.regex).with_context(|| ctx("regex"))?;
    let secret_group = match r.secret_group {
        Some(g) if g < regex.captures_len() => Some(g),
        Some(g) => bail!("{}: the regex has no group {g}", ctx("secret_group")),
        None => regex.capture_names().position(|n| n == Some("secret")),
    };
    if r.keywords.iter().any(|k| k.is_empty()) {
        bail!("{}: empty keyword", ctx("keywords"));
    }
    let context = r
        .context
        .as_ref()
        .map(|c| -> Result<Context> {
            Ok(Context {
                regex: compile_regex(&c.regex).with_context(|| ctx("context.regex"))?,
                distance: c.distance,
            })
        })
        .transpose()?;
    let allowlist = match &r.allowlist {
        Some(a) => Allowlist::compile(a).with_context(|| ctx("allowlist"))?,
        None => Allowlist::default(),
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
        fallback: r.fallback,
        severity,
        context,
        allowlist,
        examples: r.examples,
        counterexamples: r.counterexamples,
        origin: origin.to_string(),
    })
}

/// Compiles a rule regex with the size limits raised enough for long
/// bounded repetitions (`{100,2000}`) that credential formats need.
pub fn compile_regex(pattern: &str) -> Result<Regex> {
    RegexBuilder::new(pattern)
        .size_limit(64 << 20)
        .dfa_size_limit(64 << 20)
        .build()
        .map_err(|e| anyhow!("{}", one_line(&e.to_string())))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
