//! keygate's config format, `.keygate.toml`: a rule file (any number of
//! `[[rule]]` tables, same format as `rules/*.toml`) plus settings that
//! adjust the built-in rules.
//!
//! ```toml
//! disable = ["generic-secret"]        # built-in rule ids to turn off
//! max_file_size = "2MiB"              # or a number of bytes
//!
//! [allowlist]                         # applies to every rule
//! paths = ["tests/fixtures/", "*.lock"]   # gitignore-style globs
//! regexes = ['''^test_''']            # on the secret (see regex_target)
//! regex_target = "secret"             # secret | match | line
//! stopwords = ["dummy"]               # case-insensitive substrings of the secret
//! commits = ["4f2c9e1"]               # findings introduced by these commits
//!
//! [entropy]                           # per-rule minimum entropy, bits/byte
//! generic-secret = 4.0
//!
//! [[rule]]                            # extra rules
//! id = "acme-token"
//! ...
//! ```
//!
//! The config always extends the built-in rules. An extra rule may reuse a
//! built-in id only if that rule is disabled: that replaces it.

use std::collections::BTreeMap;
use std::ops::Range;

use anyhow::Result;
use serde::Deserialize;
use toml::Spanned;

use super::span::FileText;
use super::{CommitAllowlist, Config, Format};
use crate::cli::parse_size;
use crate::rules::{compile_regex, Allowlist, AllowlistParts, RegexTarget, RuleSet, RuleSpec};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigSpec {
    #[serde(default, rename = "rule")]
    rules: Vec<Spanned<RuleSpec>>,
    #[serde(default)]
    allowlist: Option<Spanned<AllowlistSpec>>,
    #[serde(default)]
    disable: Vec<Spanned<String>>,
    #[serde(default)]
    max_file_size: Option<Spanned<Size>>,
    #[serde(default)]
    entropy: BTreeMap<Spanned<String>, Spanned<f64>>,
}

/// The config's global allowlist: a rule file's `[allowlist]` plus commits.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowlistSpec {
    #[serde(default)]
    #[allow(dead_code)] // documentation for humans
    description: Option<String>,
    #[serde(default)]
    regexes: Vec<Spanned<String>>,
    #[serde(default)]
    regex_target: RegexTarget,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    commits: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Size {
    Bytes(u64),
    Text(String),
}

/// Parses and validates a `.keygate.toml`; `name` is shown in errors.
/// With `replace`, the file's rules replace built-in rules of the same id
/// (to test an edited built-in rule file).
pub fn load_with(name: &str, text: &str, replace: bool) -> Result<Config> {
    let f = FileText { name, text };
    let spec: ConfigSpec = toml::from_str(text).map_err(|e| f.toml_error(&e))?;
    let mut rules = RuleSet::builtin()?;

    for id in &spec.disable {
        if !rules.remove(id.get_ref()) {
            return Err(f.error(
                &id.span(),
                format!("disable: unknown built-in rule id {:?}", id.get_ref()),
            ));
        }
    }

    let mut own_rules = Vec::new();
    for rule in spec.rules {
        let span = rule.span();
        let rule = rule.into_inner();
        if replace && !own_rules.contains(&rule.id) {
            rules.remove(&rule.id);
        }
        own_rules.push(rule.id.clone());
        add_rule(&f, &mut rules, &span, rule)?;
    }

    let mut commits = CommitAllowlist::default();
    if let Some(a) = spec.allowlist {
        let span = a.span();
        let a = a.into_inner();
        let mut regexes = Vec::new();
        for r in &a.regexes {
            let re = compile_regex(r.get_ref())
                .map_err(|e| f.error(&r.span(), format!("allowlist: regexes: {e}")))?;
            regexes.push(re);
        }
        let allowlist = Allowlist::new(AllowlistParts {
            regexes,
            target: a.regex_target,
            stopwords: a.stopwords,
            path_globs: a.paths,
            ..AllowlistParts::default()
        })
        .map_err(|e| f.error(&f.key_span(&span, "paths"), format!("allowlist: {e}")))?;
        if !allowlist.is_empty() {
            rules.global_allowlists.push(allowlist);
        }
        commits.add(None, &a.commits);
    }

    for (id, min) in &spec.entropy {
        let Some(rule) = rules.get_mut(id.get_ref()) else {
            return Err(f.error(
                &id.span(),
                format!("entropy: unknown rule id {:?}", id.get_ref()),
            ));
        };
        let v = *min.get_ref();
        if !(0.0..=8.0).contains(&v) {
            return Err(f.error(
                &min.span(),
                format!("entropy: {}: must be between 0 and 8 bits", id.get_ref()),
            ));
        }
        rule.min_entropy = Some(v);
    }

    let max_file_size = match &spec.max_file_size {
        None => None,
        Some(s) => Some(match s.get_ref() {
            Size::Bytes(n) => *n,
            Size::Text(t) => {
                parse_size(t).map_err(|e| f.error(&s.span(), format!("max_file_size: {e}")))?
            }
        }),
    };

    Ok(Config {
        path: None,
        format: Format::Keygate,
        rules,
        own_rules,
        max_file_size,
        commits,
        warnings: Vec::new(),
    })
}

/// Compiles one `[[rule]]` of the file into `rules`, locating errors.
fn add_rule(
    f: &FileText<'_>,
    rules: &mut RuleSet,
    span: &Range<usize>,
    rule: RuleSpec,
) -> Result<()> {
    // The regex is checked here first so a bad one is reported on its own
    // line; the remaining checks report the rule's line.
    if let Err(e) = compile_regex(&rule.regex) {
        return Err(f.error(
            &f.key_span(span, "regex"),
            format!("rule {:?}: regex: {e}", rule.id),
        ));
    }
    if rules.get(&rule.id).is_some() {
        return Err(f.error(
            span,
            format!(
                "rule {:?} is already defined (built in or earlier in this file); \
                 to replace a built-in rule, also list it in `disable`",
                rule.id
            ),
        ));
    }
    rules.add_rule(&f.at(span), rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(name: &str, text: &str) -> Result<Config> {
        load_with(name, text, false)
    }

    fn err(text: &str) -> String {
        format!("{:#}", load("k.toml", text).unwrap_err())
    }

    #[test]
    fn a_full_config_loads() {
        let c = load(
            "k.toml",
            r#"
disable = ["aws-session-token"]
max_file_size = "1KiB"

[allowlist]
paths = ["fixtures/"]
regexes = ['''^test_''']
commits = ["ABCDEF1"]

[entropy]
aws-access-key-id = 3.5

[[rule]]
id = "acme"
description = "Acme token"
keywords = ["acme_"]
regex = '''acme_[a-z0-9]{16}'''
"#,
        )
        .unwrap();
        assert!(c.rules.get("aws-session-token").is_none());
        assert_eq!(
            c.rules.get("aws-access-key-id").unwrap().min_entropy,
            Some(3.5)
        );
        assert!(c.rules.get("acme").is_some());
        assert_eq!(c.own_rules, ["acme"]);
        assert_eq!(c.max_file_size, Some(1024));
        assert!(c.commits.allows("any", "abcdef1234"));
    }

    #[test]
    fn errors_name_line_and_key() {
        assert!(err("\n\nfoo = 1\n").starts_with("k.toml:3:1: unknown key `foo`"));
        assert!(
            err("[allowlist]\nregexes = ['(']\n").starts_with("k.toml:2:12: allowlist: regexes:")
        );
        assert!(err("disable = [\"nope\"]")
            .starts_with("k.toml:1:12: disable: unknown built-in rule id \"nope\""));
        assert!(err("[entropy]\nnope = 3.0").starts_with("k.toml:2:1: entropy: unknown rule id"));
        let e = err("[[rule]]\nid = \"x\"\ndescription = \"x\"\nregex = '''a('''\n");
        assert!(e.starts_with("k.toml:4:1: rule \"x\": regex:"), "{e}");
        let e = err("[[rule]]\nid = \"x\"\ndescription = \"x\"\nregex = 'a'\nbogus = 1\n");
        assert!(e.starts_with("k.toml:5:1: unknown key `bogus`"), "{e}");
        let e = err("[[rule]]\nid = \"aws-access-key-id\"\ndescription = \"x\"\nregex = 'a'\n");
        assert!(e.contains("already defined"), "{e}");
        assert!(err("max_file_size = \"9 parsecs\"").starts_with("k.toml:1:17: max_file_size:"));
    }

    #[test]
    fn a_disabled_builtin_can_be_replaced() {
        let c = load(
            "k.toml",
            "disable = [\"aws-access-key-id\"]\n[[rule]]\nid = \"aws-access-key-id\"\ndescription = \"mine\"\nregex = 'AKIA[A-Z0-9]{16}'\n",
        )
        .unwrap();
        assert_eq!(
            c.rules.get("aws-access-key-id").unwrap().description,
            "mine"
        );
    }
}
