//! Project configuration: which rules run and what is a known non-secret.
//!
//! A project config is `.keygate.toml` in keygate's own format (see
//! [`keygate`](self::keygate)) or a gitleaks config (see
//! [`gitleaks`](self::gitleaks)). Either one loads into a [`Config`]: the
//! effective [`RuleSet`] that the detector runs, plus the few settings that
//! act outside the detector (commit allowlists, the file size limit).
//!
//! Invariant: a config that loads is fully valid. Unknown keys, bad regexes,
//! unknown rule ids and gitleaks features keygate does not implement are
//! errors naming the file, the line and the key; nothing is ignored silently.

mod gitleaks;
mod keygate;
mod span;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Result};

use crate::rules::RuleSet;
use crate::source::files::describe_io;

pub use gitleaks::keygate_ids_for;

/// keygate's config file name, looked up in the scanned root.
pub const KEYGATE_FILE: &str = ".keygate.toml";
/// gitleaks' config file name, used when there is no [`KEYGATE_FILE`].
pub const GITLEAKS_FILE: &str = ".gitleaks.toml";

/// The format a config file is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Keygate,
    Gitleaks,
}

/// A loaded, validated configuration.
#[derive(Debug)]
pub struct Config {
    /// The file it came from; `None` for the built-in defaults.
    pub path: Option<PathBuf>,
    pub format: Format,
    /// The rules to run, with the config's allowlists already attached.
    pub rules: RuleSet,
    /// Ids of the rules the file itself defines (not built-in ones).
    pub own_rules: Vec<String>,
    /// Files larger than this are skipped, unless the command line says
    /// otherwise.
    pub max_file_size: Option<u64>,
    pub commits: CommitAllowlist,
    /// Things worth telling the user that do not stop the scan.
    pub warnings: Vec<String>,
}

/// Commits whose findings are not reported (gitleaks' allowlist
/// `commits`): for every rule, or for one rule.
#[derive(Debug, Default)]
pub struct CommitAllowlist {
    /// Lowercased.
    all_rules: Vec<String>,
    /// Rule id to lowercased commits.
    by_rule: BTreeMap<String, Vec<String>>,
}

impl CommitAllowlist {
    fn add(&mut self, rule: Option<&str>, commits: &[String]) {
        let commits = commits.iter().map(|c| c.trim().to_ascii_lowercase());
        match rule {
            None => self.all_rules.extend(commits),
            Some(r) => self
                .by_rule
                .entry(r.to_string())
                .or_default()
                .extend(commits),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.all_rules.is_empty() && self.by_rule.is_empty()
    }

    /// True if findings of `rule` introduced by `commit` (a full hex id) are
    /// allowed. A listed commit of at least 7 digits matches as a prefix.
    pub fn allows(&self, rule: &str, commit: &str) -> bool {
        let commit = commit.to_ascii_lowercase();
        let hit = |c: &String| *c == commit || (c.len() >= 7 && commit.starts_with(c.as_str()));
        self.all_rules.iter().any(hit)
            || self
                .by_rule
                .get(rule)
                .is_some_and(|list| list.iter().any(hit))
    }
}

impl Config {
    /// The built-in rules with no project configuration.
    pub fn builtin() -> Result<Config> {
        Ok(Config {
            path: None,
            format: Format::Keygate,
            rules: RuleSet::builtin()?,
            own_rules: Vec::new(),
            max_file_size: None,
            commits: CommitAllowlist::default(),
            warnings: Vec::new(),
        })
    }

    /// Loads the config for a scan of `root`: `explicit` if given, else
    /// `root/.keygate.toml`, else `root/.gitleaks.toml`, else the built-in
    /// defaults.
    pub fn for_root(explicit: Option<&Path>, root: &Path) -> Result<Config> {
        match explicit.map(Path::to_path_buf).or_else(|| discover(root)) {
            Some(path) => Config::load(&path),
            None => Config::builtin(),
        }
    }

    /// Loads a config file, in the format [`sniff`] finds.
    pub fn load(path: &Path) -> Result<Config> {
        Config::load_with(path, false)
    }

    /// Loads a file whose rules are to be tested: as [`Config::load`],
    /// except that in keygate's format the file's rules replace built-in
    /// rules with the same ids, so a built-in rule file can be tested as
    /// edited.
    pub fn load_rule_file(path: &Path) -> Result<Config> {
        Config::load_with(path, true)
    }

    fn load_with(path: &Path, replace: bool) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            anyhow!(
                "{}: cannot read config: {}",
                path.display(),
                describe_io(&e)
            )
        })?;
        let mut config = Config::parse(path, &text, replace)?;
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    /// Parses config text as if read from `path` (which names it in errors,
    /// decides its format with [`sniff`], and anchors a gitleaks `[extend]
    /// path`). Never panics, whatever the text.
    pub fn parse(path: &Path, text: &str, replace: bool) -> Result<Config> {
        let name = path.display().to_string();
        match sniff(path, text) {
            Format::Keygate => keygate::load_with(&name, text, replace),
            Format::Gitleaks => gitleaks::load(&name, path, text, 0),
        }
    }

    /// A one-line description for messages: `.keygate.toml (keygate)` or
    /// `built-in rules`.
    pub fn describe(&self) -> String {
        match (&self.path, self.format) {
            (None, _) => "built-in rules".into(),
            (Some(p), Format::Keygate) => format!("{} (keygate config)", p.display()),
            (Some(p), Format::Gitleaks) => format!("{} (gitleaks config)", p.display()),
        }
    }
}

/// The config file in `root`, if there is one.
pub fn discover(root: &Path) -> Option<PathBuf> {
    [KEYGATE_FILE, GITLEAKS_FILE]
        .iter()
        .map(|name| root.join(name))
        .find(|p| p.is_file())
}

/// Which format a config file is in: by name first (`gitleaks` in the file
/// name means gitleaks), then by content (gitleaks' top-level `rules`,
/// `extend`, `allowlists` or `title`); keygate's otherwise.
pub fn sniff(path: &Path, text: &str) -> Format {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.contains("gitleaks") {
        return Format::Gitleaks;
    }
    if name.contains("keygate") {
        return Format::Keygate;
    }
    let Ok(table) = text.parse::<toml::Table>() else {
        return Format::Keygate; // the keygate loader reports the syntax error
    };
    let gitleaks_keys = ["rules", "extend", "allowlists", "title", "minVersion"];
    if gitleaks_keys.iter().any(|k| table.contains_key(*k)) {
        Format::Gitleaks
    } else {
        Format::Keygate
    }
}
