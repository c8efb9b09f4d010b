//! gitleaks configs (`.gitleaks.toml`), translated to keygate rules so a
//! team can switch scanners without editing them.
//!
//! Supported, with gitleaks' meaning:
//! - `title`, `description`, `minVersion`, rule `tags`: accepted, unused.
//! - `[extend]` with `useDefault = true` (keygate's built-in rules stand in
//!   for gitleaks' default ones), `path` (another gitleaks config, relative
//!   to this file's directory or else the current directory, chained at most
//!   2 deep) and `disabledRules`.
//! - `[[rules]]`: `id`, `description`, `regex`, `secretGroup`, `entropy`
//!   (the secret's entropy must be strictly greater), `keywords` (rules
//!   without keywords run on every buffer), `path` (with a `regex`, the rule
//!   only runs on files whose path matches; alone, see below).
//! - A rule whose id is already defined by the extended config (with
//!   `useDefault`, a built-in rule; see [`keygate_ids_for`] for gitleaks ids
//!   keygate spells differently) extends it: set fields replace, keywords and
//!   allowlists add up.
//! - Allowlists: global `[allowlist]` / `[[allowlists]]` (with
//!   `targetRules`) and per rule `[rules.allowlist]` / `[[rules.allowlists]]`,
//!   with `regexes`, `regexTarget`, `paths` (regexes on the path), `stopwords`,
//!   `commits` and `condition = "OR" | "AND"`.
//!
//! Regexes are Go RE2 syntax; `from_go` rewrites the few constructs Rust's
//! regex crate reads differently (a `{` that starts no repetition, `\Q...\E`,
//! `[` inside a class) so they keep Go's meaning.
//!
//! A `path`-only rule (no `regex`) becomes a [`FileRule`]: it reports every
//! file whose path matches, at line 1 with no secret, without reading it.
//!
//! Rejected with an error naming file, line and key: composite rules
//! (`[[rules.required]]`, `skipReport`),
//! `[extend] url`, `condition = "AND"` combined with `commits`, and regexes
//! Rust's regex crate still cannot compile (`\C`, for one).
//!
//! One difference in matching remains: keygate runs a keyworded rule from
//! the line of the first keyword occurrence to the end of the buffer, where
//! gitleaks runs it on the whole buffer; a match that starts before the
//! first keyword's line and contains no keyword is not found.

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::Result;
use regex::bytes::Regex;
use serde::Deserialize;
use toml::Spanned;

use super::span::FileText;
use super::{CommitAllowlist, Config, Format};
use crate::finding::Severity;
use crate::rules::{
    compile_regex, Allowlist, AllowlistParts, Condition, FileRule, LazyRegex, RegexTarget, Rule,
    RuleSet, RuleSpec as KeygateRuleSpec,
};

/// How deep `[extend] path` chains may go (as in gitleaks).
const MAX_EXTEND_DEPTH: usize = 2;

/// gitleaks runs a rule on the whole buffer once a keyword occurs anywhere;
/// this window makes keygate run it to the end of the buffer.
const WHOLE_BUFFER: usize = usize::MAX;

/// gitleaks' default rule ids that keygate's built-in rules spell
/// differently, sorted. Identical ids (`github-pat`, `private-key`, ...)
/// need no entry; an entry whose keygate rule is absent is inert.
const GITLEAKS_IDS: &[(&str, &[&str])] = &[
    ("airtable-api-key", &["airtable-token"]),
    ("airtable-personnal-access-token", &["airtable-token"]),
    ("anthropic-admin-api-key", &["anthropic-admin-key"]),
    ("artifactory-api-key", &["artifactory-token"]),
    ("artifactory-reference-token", &["artifactory-token"]),
    ("aws-access-token", &["aws-access-key-id"]),
    ("cloudflare-api-key", &["cloudflare-api-token"]),
    ("cloudflare-global-api-key", &["cloudflare-api-token"]),
    ("contentful-delivery-api-token", &["contentful-token"]),
    ("curl-auth-header", &["http-authorization-header"]),
    ("databricks-api-token", &["databricks-token"]),
    ("datadog-access-token", &["datadog-api-key"]),
    ("digitalocean-access-token", &["digitalocean-token"]),
    ("digitalocean-pat", &["digitalocean-token"]),
    ("digitalocean-refresh-token", &["digitalocean-token"]),
    ("discord-api-token", &["discord-bot-token"]),
    ("doppler-api-token", &["doppler-token"]),
    ("dynatrace-api-token", &["dynatrace-token"]),
    ("gcp-api-key", &["google-api-key"]),
    ("generic-api-key", &["generic-secret"]),
    ("github-oauth", &["github-oauth-token"]),
    ("gitlab-cicd-job-token", &["gitlab-token"]),
    ("gitlab-deploy-token", &["gitlab-token"]),
    ("gitlab-feature-flag-client-token", &["gitlab-token"]),
    ("gitlab-feed-token", &["gitlab-token"]),
    ("gitlab-incoming-mail-token", &["gitlab-token"]),
    ("gitlab-kubernetes-agent-token", &["gitlab-token"]),
    ("gitlab-oauth-app-secret", &["gitlab-token"]),
    ("gitlab-ptt", &["gitlab-token"]),
    ("gitlab-rrt", &["gitlab-runner-registration-token"]),
    ("gitlab-runner-authentication-token", &["gitlab-token"]),
    ("gitlab-scim-token", &["gitlab-token"]),
    ("grafana-api-key", &["grafana-token"]),
    ("grafana-cloud-api-token", &["grafana-token"]),
    ("grafana-service-account-token", &["grafana-token"]),
    ("hashicorp-tf-api-token", &["terraform-cloud-token"]),
    ("huggingface-access-token", &["huggingface-token"]),
    ("mailgun-private-api-token", &["mailgun-api-key"]),
    ("mapbox-api-token", &["mapbox-secret-token"]),
    ("microsoft-teams-webhook", &["microsoft-teams-webhook-url"]),
    ("new-relic-insert-key", &["new-relic-key"]),
    ("new-relic-user-api-key", &["new-relic-key"]),
    ("notion-api-token", &["notion-token"]),
    ("okta-access-token", &["okta-api-token"]),
    ("planetscale-api-token", &["planetscale-token"]),
    ("planetscale-oauth-token", &["planetscale-token"]),
    ("planetscale-password", &["planetscale-token"]),
    ("postman-api-token", &["postman-api-key"]),
    ("pulumi-api-token", &["pulumi-access-token"]),
    ("pypi-upload-token", &["pypi-token"]),
    ("rubygems-api-token", &["rubygems-api-key"]),
    ("sendgrid-api-token", &["sendgrid-api-key"]),
    ("sentry-access-token", &["sentry-auth-token"]),
    ("sentry-org-token", &["sentry-auth-token"]),
    ("sentry-user-token", &["sentry-auth-token"]),
    ("shopify-access-token", &["shopify-token"]),
    ("shopify-custom-access-token", &["shopify-token"]),
    ("shopify-private-app-access-token", &["shopify-token"]),
    ("shopify-shared-secret", &["shopify-token"]),
    ("slack-config-access-token", &["slack-token"]),
    ("slack-config-refresh-token", &["slack-token"]),
    (
        "stripe-access-token",
        &["stripe-secret-key", "stripe-restricted-key"],
    ),
    ("telegram-bot-api-token", &["telegram-bot-token"]),
    ("vault-batch-token", &["vault-token"]),
    ("vault-service-token", &["vault-token"]),
];

/// The keygate rule ids that stand for gitleaks' default rule `id` (empty
/// when keygate uses the same id or has no counterpart).
pub fn keygate_ids_for(id: &str) -> &'static [&'static str] {
    GITLEAKS_IDS
        .iter()
        .find(|(g, _)| *g == id)
        .map_or(&[], |(_, k)| k)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigSpec {
    #[serde(default)]
    #[allow(dead_code)]
    title: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default, rename = "minVersion", alias = "minversion")]
    #[allow(dead_code)]
    min_version: Option<String>,
    #[serde(default)]
    extend: Option<Spanned<ExtendSpec>>,
    #[serde(default)]
    rules: Vec<Spanned<RuleSpec>>,
    #[serde(default)]
    allowlist: Option<Spanned<AllowlistSpec>>,
    #[serde(default)]
    allowlists: Vec<Spanned<AllowlistSpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtendSpec {
    #[serde(default, rename = "useDefault", alias = "usedefault")]
    use_default: bool,
    #[serde(default)]
    path: Option<Spanned<String>>,
    #[serde(default)]
    url: Option<Spanned<String>>,
    #[serde(default, rename = "disabledRules", alias = "disabledrules")]
    disabled_rules: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    regex: Option<Spanned<String>>,
    #[serde(default, rename = "secretGroup", alias = "secretgroup")]
    secret_group: Option<Spanned<i64>>,
    #[serde(default)]
    entropy: Option<Spanned<f64>>,
    #[serde(default)]
    path: Option<Spanned<String>>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    #[allow(dead_code)]
    tags: Vec<String>,
    #[serde(default)]
    allowlist: Option<Spanned<AllowlistSpec>>,
    #[serde(default)]
    allowlists: Vec<Spanned<AllowlistSpec>>,
    #[serde(default)]
    required: Option<Spanned<toml::Value>>,
    #[serde(default, rename = "skipReport", alias = "skipreport")]
    skip_report: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowlistSpec {
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    condition: Option<Spanned<String>>,
    #[serde(default)]
    commits: Vec<String>,
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    #[serde(default, rename = "regexTarget", alias = "regextarget")]
    regex_target: Option<Spanned<String>>,
    #[serde(default)]
    regexes: Vec<Spanned<String>>,
    #[serde(default, alias = "stopWords")]
    stopwords: Vec<String>,
    #[serde(default, rename = "targetRules", alias = "targetrules")]
    target_rules: Vec<Spanned<String>>,
}

/// One compiled gitleaks allowlist: the part the detector checks, and the
/// commits checked once findings are attributed to commits.
struct CompiledAllowlist {
    allowlist: Option<Allowlist>,
    commits: Vec<String>,
}

/// Parses a gitleaks config and builds its rule set. `path` locates
/// `[extend] path`; `depth` counts extends so far.
pub fn load(name: &str, path: &Path, text: &str, depth: usize) -> Result<Config> {
    let f = FileText { name, text };
    let spec: ConfigSpec = toml::from_str(text).map_err(|e| f.toml_error(&e))?;
    let mut base = extended(&f, path, &spec, depth)?;
    let extending = spec
        .extend
        .as_ref()
        .is_some_and(|e| e.get_ref().use_default || e.get_ref().path.is_some());

    if let Some(ext) = &spec.extend {
        for id in &ext.get_ref().disabled_rules {
            let mut targets = resolve(&base.rules, id.get_ref());
            if targets.is_empty() && base.rules.contains(id.get_ref()) {
                targets.push(id.get_ref().clone()); // a path-only rule
            }
            if targets.is_empty() {
                base.warnings.push(format!(
                    "{}: disabledRules: the extended config has no rule {:?}",
                    f.at(&id.span()),
                    id.get_ref()
                ));
            }
            for t in targets {
                base.rules.remove(&t);
            }
        }
    }

    let mut own_rules: Vec<String> = Vec::new();
    for rule in spec.rules {
        let span = rule.span();
        let rule = rule.into_inner();
        let id = rule.id.get_ref().clone();
        if own_rules.contains(&id) {
            return Err(f.error(&rule.id.span(), format!("rule {id:?} is defined twice")));
        }
        add_rule(&f, &mut base, &span, rule, extending)?;
        own_rules.push(id);
    }

    if spec.allowlist.is_some() && !spec.allowlists.is_empty() {
        let span = spec
            .allowlist
            .as_ref()
            .map(Spanned::span)
            .unwrap_or_default();
        return Err(f.error(
            &span,
            "[allowlist] and [[allowlists]] cannot both be used (as in gitleaks)",
        ));
    }
    for a in spec.allowlist.into_iter().chain(spec.allowlists) {
        let span = a.span();
        let a = a.into_inner();
        let targets: Vec<Spanned<String>> = a.target_rules.clone();
        let compiled = compile_allowlist(&f, &span, a, "allowlists")?;
        if targets.is_empty() {
            base.rules.global_allowlists.extend(compiled.allowlist);
            base.commits.add(None, &compiled.commits);
            continue;
        }
        for target in &targets {
            let ids = resolve(&base.rules, target.get_ref());
            let file_rule = base
                .rules
                .file_rules
                .iter_mut()
                .find(|r| r.id == *target.get_ref());
            if let Some(r) = file_rule {
                r.allowlists.extend(compiled.allowlist.clone());
                base.commits.add(Some(target.get_ref()), &compiled.commits);
                continue;
            }
            if ids.is_empty() {
                return Err(f.error(
                    &target.span(),
                    format!(
                        "allowlists: targetRules: there is no rule {:?}",
                        target.get_ref()
                    ),
                ));
            }
            for id in ids {
                let rule = base.rules.get_mut(&id).expect("resolved id exists");
                rule.allowlists.extend(compiled.allowlist.clone());
                base.commits.add(Some(&id), &compiled.commits);
            }
        }
    }

    base.format = Format::Gitleaks;
    base.own_rules = own_rules;
    Ok(base)
}

/// The config that `[extend]` names, or an empty one.
fn extended(f: &FileText<'_>, path: &Path, spec: &ConfigSpec, depth: usize) -> Result<Config> {
    let empty = || Config {
        path: None,
        format: Format::Gitleaks,
        rules: RuleSet::default(),
        own_rules: Vec::new(),
        max_file_size: None,
        commits: CommitAllowlist::default(),
        warnings: Vec::new(),
    };
    let Some(ext) = &spec.extend else {
        return Ok(empty());
    };
    let ext_span = ext.span();
    let ext = ext.get_ref();
    if let Some(url) = &ext.url {
        return Err(f.error(
            &url.span(),
            "extend: url is not supported (gitleaks does not implement it either)",
        ));
    }
    match (&ext.path, ext.use_default) {
        (Some(p), true) => Err(f.error(
            &p.span(),
            "extend: useDefault and path cannot both be set (as in gitleaks)",
        )),
        (None, true) => {
            let mut c = empty();
            c.rules = RuleSet::builtin()?;
            Ok(c)
        }
        (Some(p), false) => {
            if depth >= MAX_EXTEND_DEPTH {
                return Err(f.error(
                    &p.span(),
                    format!("extend: path: configs can be chained at most {MAX_EXTEND_DEPTH} deep"),
                ));
            }
            let base_path = locate(path, p.get_ref());
            let text = crate::source::files::read_regular_to_string(&base_path).map_err(|e| {
                f.error(
                    &p.span(),
                    format!(
                        "extend: path: {}: {}",
                        base_path.display(),
                        crate::source::files::describe_io(&e)
                    ),
                )
            })?;
            let name = base_path.display().to_string();
            load(&name, &base_path, &text, depth + 1)
        }
        (None, false) => {
            if ext.disabled_rules.is_empty() {
                Err(f.error(&ext_span, "extend: set useDefault = true or a path"))
            } else {
                Ok(empty())
            }
        }
    }
}

/// `[extend] path`: relative to the extending config's directory if it is
/// there, else to the current directory (gitleaks' rule).
fn locate(config: &Path, extend: &str) -> PathBuf {
    let p = Path::new(extend);
    if p.is_absolute() {
        return p.to_path_buf();
    }
    let beside = config.parent().unwrap_or(Path::new("")).join(p);
    if beside.is_file() {
        beside
    } else {
        p.to_path_buf()
    }
}

/// The ids in `rules` that the gitleaks rule id `id` names.
fn resolve(rules: &RuleSet, id: &str) -> Vec<String> {
    if rules.get(id).is_some() {
        return vec![id.to_string()];
    }
    keygate_ids_for(id)
        .iter()
        .filter(|k| rules.get(k).is_some())
        .map(|k| k.to_string())
        .collect()
}

/// Adds one `[[rules]]` table to `config`: a new rule, or an extension of a
/// rule the extended config already has. `extending` is true when the file
/// has an `[extend]` base.
fn add_rule(
    f: &FileText<'_>,
    config: &mut Config,
    span: &Range<usize>,
    rule: RuleSpec,
    extending: bool,
) -> Result<()> {
    let id = rule.id.get_ref().clone();
    let at_key = |key: &str| f.key_span(span, key);
    if let Some(r) = &rule.required {
        return Err(f.error(
            &r.span(),
            format!("rule {id:?}: required: composite rules are not supported"),
        ));
    }
    if let Some(s) = rule.skip_report.as_ref().filter(|s| *s.get_ref()) {
        return Err(f.error(
            &s.span(),
            format!("rule {id:?}: skipReport: composite rules are not supported"),
        ));
    }
    if rule.allowlist.is_some() && !rule.allowlists.is_empty() {
        return Err(f.error(
            &at_key("allowlist"),
            format!(
                "rule {id:?}: [rules.allowlist] and [[rules.allowlists]] cannot both be used (as in gitleaks)"
            ),
        ));
    }
    let regex = rule
        .regex
        .as_ref()
        .map(|r| go_regex(f, r, &id, "regex"))
        .transpose()?;
    let path = rule
        .path
        .as_ref()
        .map(|r| go_regex(f, r, &id, "path"))
        .transpose()?;
    let min_entropy = match &rule.entropy {
        Some(e) if !(0.0..=8.0).contains(e.get_ref()) => {
            return Err(f.error(
                &e.span(),
                format!("rule {id:?}: entropy: must be between 0 and 8 bits"),
            ));
        }
        // gitleaks drops secrets whose entropy is <= the value; keygate
        // drops those below its minimum.
        Some(e) if *e.get_ref() > 0.0 => Some(e.get_ref().next_up()),
        _ => None,
    };
    let mut allowlists = Vec::new();
    let mut commits = Vec::new();
    for a in rule.allowlist.into_iter().chain(rule.allowlists) {
        let a_span = a.span();
        let a = a.into_inner();
        if let Some(t) = a.target_rules.first() {
            return Err(f.error(
                &t.span(),
                format!(
                    "rule {id:?}: allowlists: targetRules is only valid in a global [[allowlists]]"
                ),
            ));
        }
        let compiled = compile_allowlist(f, &a_span, a, &format!("rule {id:?}: allowlists"))?;
        allowlists.extend(compiled.allowlist);
        commits.extend(compiled.commits);
    }
    let keywords: Vec<String> = rule.keywords.iter().map(|k| k.to_lowercase()).collect();
    if keywords.iter().any(String::is_empty) {
        return Err(f.error(
            &at_key("keywords"),
            format!("rule {id:?}: keywords: empty keyword"),
        ));
    }

    let extends = resolve(&config.rules, &id);
    if !extends.is_empty() {
        for target in &extends {
            let r = config.rules.get_mut(target).expect("resolved id exists");
            if let Some(d) = &rule.description {
                r.description = d.clone();
            }
            if let Some(re) = &regex {
                r.regex = LazyRegex::compiled(re.clone(), &format!("rule {id:?}"));
                r.secret_group = None;
                r.window = WHOLE_BUFFER;
            }
            if let Some(g) = &rule.secret_group {
                let Some(compiled) = r.regex.get() else {
                    return Err(f.error(
                        &g.span(),
                        format!("rule {id:?}: the regex of the rule it extends cannot be compiled"),
                    ));
                };
                let group = secret_group(f, g, compiled, &id)?;
                r.secret_group = group;
            }
            if min_entropy.is_some() {
                r.min_entropy = min_entropy;
            }
            if path.is_some() {
                r.path = path.clone();
            }
            r.keywords.extend(keywords.iter().cloned());
            r.allowlists.extend(allowlists.iter().cloned());
            config.commits.add(Some(target), &commits);
        }
        return Ok(());
    }

    let Some(regex) = regex else {
        if let Some(path) = path {
            // A path-only rule: report matching files, unread.
            if config.rules.contains(&id) {
                return Err(f.error(span, format!("rule {id:?} is defined twice")));
            }
            if !commits.is_empty() {
                config.commits.add(Some(&id), &commits);
            }
            config.rules.file_rules.push(FileRule {
                id: id.clone(),
                description: rule.description.clone().unwrap_or_else(|| id.clone()),
                path,
                severity: Severity::High,
                allowlists,
                origin: f.at(span),
            });
            return Ok(());
        }
        if extending {
            // An extension of a gitleaks default rule keygate does not have:
            // it would allowlist findings that can never be made.
            config.warnings.push(format!(
                "{}: rule {id:?} extends a gitleaks default rule that keygate does not have; it has no effect",
                f.at(span)
            ));
            return Ok(());
        }
        return Err(f.error(
            span,
            format!("rule {id:?}: needs a regex or a path (and extends no rule of an [extend]ed config)"),
        ));
    };
    let secret_group = match &rule.secret_group {
        Some(g) => secret_group(f, g, &regex, &id)?,
        None => None,
    };
    let spec = KeygateRuleSpec {
        id: id.clone(),
        description: rule.description.clone().unwrap_or_else(|| id.clone()),
        keywords,
        // The pattern as rewritten from Go's syntax.
        regex: regex.as_str().to_string(),
        secret_group,
        min_entropy: None,
        window: Some(WHOLE_BUFFER),
        window_lines: None,
        fallback: false,
        severity: None,
        context: None,
        allowlist: None,
        allowlist_of: None,
        examples: Vec::new(),
        counterexamples: Vec::new(),
    };
    config.rules.add_rule(&f.at(span), spec)?;
    let r: &mut Rule = config.rules.get_mut(&id).expect("just added");
    r.min_entropy = min_entropy;
    r.path = path;
    r.allowlists = allowlists;
    config.commits.add(Some(&id), &commits);
    Ok(())
}

/// gitleaks' `secretGroup`: 0 means the first group that matched.
fn secret_group(
    f: &FileText<'_>,
    g: &Spanned<i64>,
    regex: &Regex,
    id: &str,
) -> Result<Option<usize>> {
    let v = *g.get_ref();
    match usize::try_from(v) {
        Ok(0) => Ok(None),
        Ok(n) if n < regex.captures_len() => Ok(Some(n)),
        _ => Err(f.error(
            &g.span(),
            format!(
                "rule {id:?}: secretGroup: the regex has no group {v} (it has {})",
                regex.captures_len() - 1
            ),
        )),
    }
}

/// Compiles a gitleaks (Go RE2) regex with Rust's regex crate.
fn go_regex(f: &FileText<'_>, r: &Spanned<String>, id: &str, key: &str) -> Result<Regex> {
    compile_regex(&from_go(r.get_ref())).map_err(|e| {
        f.error(
            &r.span(),
            format!("rule {id:?}: {key}: not a regex keygate can run: {e}"),
        )
    })
}

/// Rewrites the Go RE2 syntax that Rust's regex crate reads differently,
/// keeping the meaning Go gives it: a `{` that does not start a counted
/// repetition is a literal (`{{ var }}`); `\Q...\E` quotes a literal; inside
/// a class, `[` (other than `[:name:]`), `&&` and `~~` are literals; `\w`,
/// `\d`, `\s` and `\b` are ASCII-only. (Keeping classes ASCII also keeps
/// counted repetitions such as `\w{20,1000}` small and quick to compile.)
fn from_go(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut in_class = false;
    let mut i = 0;
    while let Some(c) = pattern[i..].chars().next() {
        let rest = &pattern[i..];
        match c {
            '\\' if rest.starts_with("\\Q") => {
                let body = &rest[2..];
                let (literal, used) = match body.find("\\E") {
                    Some(end) => (&body[..end], end + 2),
                    None => (body, body.len()),
                };
                out.push_str(&regex::escape(literal));
                i += 2 + used;
                continue;
            }
            '\\' => {
                // Copy the escape whole, so `\[` or `\{` is never reread;
                // Perl classes and word boundaries are ASCII in Go.
                let len = rest[1..].chars().next().map_or(0, char::len_utf8);
                match ascii_class(&rest[1..1 + len], in_class) {
                    Some(ascii) => out.push_str(ascii),
                    None => out.push_str(&rest[..1 + len]),
                }
                i += 1 + len;
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                i += 1;
                // A `]` right after `[` or `[^` is a literal in both syntaxes.
                for lead in ["^]", "]", "^"] {
                    if pattern[i..].starts_with(lead) {
                        out.push_str(lead);
                        i += lead.len();
                        break;
                    }
                }
                continue;
            }
            '[' if rest.starts_with("[:") => {
                let len = rest.find(":]").map_or(1, |e| e + 2);
                out.push_str(&rest[..len]);
                i += len;
                continue;
            }
            '[' => out.push_str("\\["),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '&' | '~' if in_class && rest[1..].starts_with(c) => {
                out.extend(['\\', c, '\\', c]);
                i += 2;
                continue;
            }
            '{' if !in_class && !starts_repetition(rest) => out.push_str("\\{"),
            _ => out.push(c),
        }
        i += c.len_utf8();
    }
    out
}

/// Go's ASCII meaning of the Perl class or assertion escape `\{e}`, spelled
/// for inside or outside a bracketed class; `None` for other escapes.
fn ascii_class(e: &str, in_class: bool) -> Option<&'static str> {
    Some(match (e, in_class) {
        ("w", false) => "[0-9A-Za-z_]",
        ("w", true) => "0-9A-Za-z_",
        ("W", _) => "[^0-9A-Za-z_]",
        ("d", false) => "[0-9]",
        ("d", true) => "0-9",
        ("D", _) => "[^0-9]",
        ("s", false) => "[\\t\\n\\f\\r ]",
        ("s", true) => "\\t\\n\\f\\r ",
        ("S", _) => "[^\\t\\n\\f\\r ]",
        ("b", false) => "(?-u:\\b)",
        ("B", false) => "(?-u:\\B)",
        _ => return None,
    })
}

/// True if `s` (starting at `{`) is `{n}`, `{n,}` or `{n,m}`.
fn starts_repetition(s: &str) -> bool {
    let Some(end) = s.find('}') else {
        return false;
    };
    let body = &s[1..end];
    let (min, max) = body.split_once(',').unwrap_or((body, "0"));
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    digits(min) && (max.is_empty() || digits(max))
}

fn compile_allowlist(
    f: &FileText<'_>,
    span: &Range<usize>,
    a: AllowlistSpec,
    what: &str,
) -> Result<CompiledAllowlist> {
    let condition = match &a.condition {
        None => Condition::Any,
        Some(c) => match c.get_ref().to_ascii_uppercase().as_str() {
            "" | "OR" | "||" => Condition::Any,
            "AND" | "&&" => Condition::All,
            other => {
                return Err(f.error(
                    &c.span(),
                    format!(
                    "{what}: condition: unknown condition {other:?} (expected \"OR\" or \"AND\")"
                ),
                ))
            }
        },
    };
    let target = match &a.regex_target {
        None => RegexTarget::Secret,
        Some(t) => match t.get_ref().as_str() {
            "" | "secret" => RegexTarget::Secret,
            "match" => RegexTarget::Match,
            "line" => RegexTarget::Line,
            other => {
                return Err(f.error(
                    &t.span(),
                    format!("{what}: regexTarget: unknown target {other:?} (expected \"secret\", \"match\" or \"line\")"),
                ))
            }
        },
    };
    let compile = |list: &[Spanned<String>], key: &str| -> Result<Vec<Regex>> {
        list.iter()
            .map(|r| {
                compile_regex(&from_go(r.get_ref())).map_err(|e| {
                    f.error(
                        &r.span(),
                        format!("{what}: {key}: not a regex keygate can run: {e}"),
                    )
                })
            })
            .collect()
    };
    let regexes = compile(&a.regexes, "regexes")?;
    let path_regexes = compile(&a.paths, "paths")?;
    let content_checks = !regexes.is_empty() || !path_regexes.is_empty() || !a.stopwords.is_empty();
    if !content_checks && a.commits.is_empty() {
        return Err(f.error(
            span,
            format!(
                "{what}: an allowlist needs at least one of commits, paths, regexes or stopwords"
            ),
        ));
    }
    if condition == Condition::All && !a.commits.is_empty() && content_checks {
        return Err(f.error(
            &f.key_span(span, "condition"),
            format!("{what}: condition = \"AND\" together with commits is not supported"),
        ));
    }
    let allowlist = if content_checks {
        Some(
            Allowlist::new(AllowlistParts {
                regexes,
                target,
                stopwords: a.stopwords,
                path_globs: Vec::new(),
                path_regexes,
                condition,
            })
            .map_err(|e| f.error(span, format!("{what}: {e}")))?,
        )
    } else {
        None
    };
    Ok(CompiledAllowlist {
        allowlist,
        commits: a.commits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{Detector, Scratch};

    fn config(text: &str) -> Result<Config> {
        load("g.toml", Path::new("g.toml"), text, 0)
    }

    fn err(text: &str) -> String {
        format!("{:#}", config(text).unwrap_err())
    }

    fn found(c: Config, hay: &str, path: &str) -> Vec<String> {
        let d = Detector::new(c.rules);
        d.detect(hay.as_bytes(), Some(path), &mut Scratch::default())
            .iter()
            .map(|m| d.rules().rules[m.rule].id.clone())
            .collect()
    }

    const CUSTOM: &str = r#"
title = "custom"

[[rules]]
id = "acme-token"
description = "Acme token"
regex = '''(?i)acme[_-]?token\s*=\s*["']?([a-z0-9]{24})'''
secretGroup = 1
entropy = 3
keywords = ["ACME"]
tags = ["acme"]

[[rules.allowlists]]
condition = "AND"
paths = ['''^test/''']
regexes = ['''^0''']

[[rules]]
id = "unkeyed"
regex = '''zz[0-9]{8}zz'''
path = '''\.cfg$'''
"#;

    #[test]
    fn custom_rules_replace_the_defaults() {
        let c = config(CUSTOM).unwrap();
        assert_eq!(
            c.rules.rules.len(),
            2,
            "no built-in rules without useDefault"
        );
        assert_eq!(c.own_rules, ["acme-token", "unkeyed"]);
        let acme = "acme_token = 'q8x2k9d7m3v1b6n4c0z5l7p2'";
        assert_eq!(
            found(config(CUSTOM).unwrap(), acme, "src/a.py"),
            ["acme-token"]
        );
        // AND allowlist: both the path and the secret must match.
        let zero = "acme_token = '08x2k9d7m3v1b6n4c0z5l7p2'";
        assert!(found(config(CUSTOM).unwrap(), zero, "test/a.py").is_empty());
        assert_eq!(found(config(CUSTOM).unwrap(), zero, "src/a.py").len(), 1);
        // Low entropy.
        let low = "acme_token = 'aaaaaaaaaaaaaaaaaaaaaaaa'";
        assert!(found(config(CUSTOM).unwrap(), low, "src/a.py").is_empty());
        // A keyword-less rule restricted by path.
        assert_eq!(
            found(config(CUSTOM).unwrap(), "x zz12345678zz", "a.cfg"),
            ["unkeyed"]
        );
        assert!(found(config(CUSTOM).unwrap(), "x zz12345678zz", "a.txt").is_empty());
    }

    #[test]
    fn use_default_extends_builtin_rules_by_gitleaks_id() {
        let c = config(
            r#"
[extend]
useDefault = true
disabledRules = ["aws-session-token", "no-such-rule"]

[[rules]]
id = "aws-access-token"
[[rules.allowlists]]
regexTarget = "line"
regexes = ['''ALLOWED''']

[allowlist]
paths = ['''(^|/)vendor/''']
commits = ["0123456789abcdef0123456789abcdef01234567"]
"#,
        )
        .unwrap();
        assert!(c.rules.get("aws-session-token").is_none());
        assert!(c.rules.get("aws-access-key-id").is_some());
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0].contains("no-such-rule"));
        assert!(c
            .commits
            .allows("x", "0123456789abcdef0123456789abcdef01234567"));
        let key = "AKIAAU4PCZL6HT4DTCBS";
        let fresh = || {
            config("[extend]\nuseDefault = true\n[[rules]]\nid = \"aws-access-token\"\n[rules.allowlist]\nregexTarget = \"line\"\nregexes = ['''ALLOWED''']\n[allowlist]\npaths = ['''(^|/)vendor/''']\n").unwrap()
        };
        assert_eq!(
            found(fresh(), &format!("k = {key}"), "a.env"),
            ["aws-access-key-id"]
        );
        assert!(found(fresh(), &format!("k = {key} # ALLOWED"), "a.env").is_empty());
        assert!(found(fresh(), &format!("k = {key}"), "x/vendor/a.env").is_empty());
    }

    #[test]
    fn unsupported_features_are_errors_with_locations() {
        let e = err("[[rules]]\nid = \"x\"\nregex = '''a'''\n[[rules.required]]\nid = \"y\"\n");
        assert!(e.contains("composite rules are not supported"), "{e}");
        let e = err("[[rules]]\nid = \"x\"\nregex = '''a\\Cb'''\n");
        assert!(
            e.starts_with("g.toml:3:9: rule \"x\": regex: not a regex keygate can run"),
            "{e}"
        );
        let e = err("[[rules]]\nid = \"x\"\nregex = '''(a)'''\nsecretGroup = 2\n");
        assert!(
            e.starts_with("g.toml:4:15: rule \"x\": secretGroup:"),
            "{e}"
        );
        let e = err("[extend]\nurl = \"https://x\"\n");
        assert!(
            e.starts_with("g.toml:2:7: extend: url is not supported"),
            "{e}"
        );
        let e = err("[allowlist]\ncondition = \"AND\"\ncommits = [\"abc\"]\npaths = ['''x''']\n");
        assert!(e.starts_with("g.toml:2:1: allowlists: condition"), "{e}");
        let e = err("[[rules]]\nid = \"x\"\nregex = 'a'\nbogus = 1\n");
        assert!(e.starts_with("g.toml:4:1: unknown key `bogus`"), "{e}");
        let e = err("[[allowlists]]\ntargetRules = [\"nope\"]\npaths = ['''x''']\n");
        assert!(
            e.starts_with("g.toml:2:16: allowlists: targetRules: there is no rule"),
            "{e}"
        );
        let e = err("[[rules]]\nid = \"x\"\n");
        assert!(e.contains("needs a regex or a path"), "{e}");
    }

    #[test]
    fn path_only_rules_become_file_rules() {
        let c = config(
            "[[rules]]\nid = \"p12\"\npath = '''(?i)\\.p12$'''\n[[allowlists]]\ntargetRules = [\"p12\"]\npaths = ['''^test/''']\n",
        )
        .unwrap();
        assert!(c.rules.rules.is_empty());
        let r = &c.rules.file_rules[0];
        assert!(r.matches("keys/prod.P12"));
        assert!(!r.matches("test/prod.p12"), "targeted allowlist");
        assert!(!r.matches("keys/prod.p12.txt"));
    }

    #[test]
    fn gitleaks_id_table_is_sorted_and_names_builtin_rules() {
        let builtin = RuleSet::builtin().unwrap();
        assert!(GITLEAKS_IDS.windows(2).all(|w| w[0].0 < w[1].0));
        for (gitleaks, ours) in GITLEAKS_IDS {
            for id in *ours {
                assert!(
                    builtin.get(id).is_some(),
                    "{gitleaks} -> {id}: no such rule"
                );
            }
        }
    }

    #[test]
    fn go_syntax_is_rewritten_to_mean_the_same() {
        assert_eq!(from_go(r"\{\{ x{2,3}"), r"\{\{ x{2,3}");
        assert_eq!(from_go(r#"['"]?\$?{{[^}]+}}"#), r#"['"]?\$?\{\{[^}]+}}"#);
        assert_eq!(from_go(r"a{,3}b{2}c{1,}"), r"a\{,3}b{2}c{1,}");
        assert_eq!(from_go(r"\Qa.b*\E+x"), r"a\.b\*+x");
        assert_eq!(from_go(r"[a[b][[:alpha:]]"), r"[a\[b][[:alpha:]]");
        assert_eq!(from_go(r"[]{]x[^]&&]"), r"[]{]x[^]\&\&]");
        assert_eq!(from_go("é{"), "é\\{");
        assert_eq!(
            from_go(r"\bk\w[\w.\s]\S"),
            r"(?-u:\b)k[0-9A-Za-z_][0-9A-Za-z_.\t\n\f\r ][^\t\n\f\r ]"
        );
        assert_eq!(from_go(r"\\w\x41"), r"\\w\x41");
        for p in [
            r"\{\{",
            r#"['"]?\$?{{[^}]+}}"#,
            "a{,3}",
            r"\Qa.b\E",
            "[a[b]",
            "[^]&&]",
        ] {
            assert!(compile_regex(&from_go(p)).is_ok(), "{p}");
        }
        let re = compile_regex(&from_go("{{x}}")).unwrap();
        assert!(re.is_match(b"{{x}}"));
        let c = config("[[rules]]\nid = \"t\"\nregex = '''tok={{(\\w{4})}}'''\n").unwrap();
        assert_eq!(found(c, "tok={{abcd}} tok={{ébcd}}", "a"), ["t"]);
    }

    #[test]
    fn extend_path_chains_configs() {
        let dir = tempfile::TempDir::new().unwrap();
        std::fs::write(dir.path().join("base.toml"), CUSTOM).unwrap();
        let top = dir.path().join(".gitleaks.toml");
        let text = "[extend]\npath = \"base.toml\"\ndisabledRules = [\"unkeyed\"]\n[[rules]]\nid = \"acme-token\"\nentropy = 1.0\n";
        let c = load("top", &top, text, 0).unwrap();
        assert!(c.rules.get("unkeyed").is_none());
        let acme = c.rules.get("acme-token").unwrap();
        assert!(acme.min_entropy.unwrap() > 1.0 && acme.min_entropy.unwrap() < 1.01);
        assert_eq!(acme.allowlists.len(), 1);
    }
}
