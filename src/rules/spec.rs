//! The on-disk shape of a rule file, exactly as TOML deserializes it.
//!
//! Nothing here is validated beyond types; `compile` turns specs into a
//! [`RuleSet`](super::RuleSet) and reports every problem with the file name.

use serde::Deserialize;

/// One rule file: any number of rules plus an optional allowlist that applies
/// to every rule.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFileSpec {
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleSpec>,
    #[serde(default)]
    pub allowlist: Option<AllowlistSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub description: String,
    /// Literals for the prefilter; matched ASCII case-insensitively.
    #[serde(default)]
    pub keywords: Vec<String>,
    pub regex: String,
    /// Which capture group holds the secret. Default: the group named
    /// `secret`, else the first group that took part in the match (so
    /// alternatives can each capture), else the whole match.
    #[serde(default)]
    pub secret_group: Option<usize>,
    #[serde(default)]
    pub min_entropy: Option<f64>,
    /// Bytes after a keyword hit that the regex may look at (default 512).
    #[serde(default)]
    pub window: Option<usize>,
    /// If set, the window also ends with the `window_lines`-th line after
    /// the keyword's own line (0: the keyword's line), if that comes first.
    #[serde(default)]
    pub window_lines: Option<usize>,
    /// A fallback rule is dropped where a specific rule reported an
    /// overlapping secret.
    #[serde(default)]
    pub fallback: bool,
    #[serde(default)]
    pub severity: Option<String>,
    /// Required surroundings: the secret is reported only if this regex
    /// matches within `distance` bytes of it.
    #[serde(default)]
    pub context: Option<ContextSpec>,
    #[serde(default)]
    pub allowlist: Option<AllowlistSpec>,
    /// The id of a rule defined earlier whose allowlists apply to this rule
    /// too, so rules that differ only in form need not copy them.
    #[serde(default)]
    pub allowlist_of: Option<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub counterexamples: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextSpec {
    pub regex: String,
    #[serde(default = "default_context_distance")]
    pub distance: usize,
}

fn default_context_distance() -> usize {
    256
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistSpec {
    #[serde(default)]
    pub description: Option<String>,
    /// Regexes; a candidate whose target matches any of them is dropped.
    #[serde(default)]
    pub regexes: Vec<String>,
    #[serde(default)]
    pub regex_target: RegexTarget,
    /// Substrings of the secret (case-insensitive) that mark it as a fake.
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// gitignore-style globs on the path.
    #[serde(default)]
    pub paths: Vec<String>,
}

/// What an allowlist regex is matched against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegexTarget {
    /// The captured secret.
    #[default]
    Secret,
    /// The whole regex match (e.g. the variable name too).
    Match,
    /// The whole line that holds the secret.
    Line,
}
