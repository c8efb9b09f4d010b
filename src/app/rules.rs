//! The commands about rules and configs: `config check`, `rules list` and
//! `rules test`. They print to standard output and scan nothing.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use super::{print_stdout, EXIT_CLEAN};
use crate::cli::{ConfigCommand, RulesCommand};
use crate::config::{self, keygate_ids_for, Config, Format};
use crate::detect::{Detector, Scratch};

/// Exit code of `rules test` when an example or counterexample fails.
const EXIT_FAILED: i32 = 1;

pub(super) fn config_command(cmd: ConfigCommand) -> Result<i32> {
    let ConfigCommand::Check(args) = cmd;
    let path = match args.file {
        Some(f) => f,
        None => find_here()?,
    };
    let config = Config::load(&path)?;
    for w in &config.warnings {
        eprintln!("keygate: warning: {}", crate::diag::printable(w));
    }
    let kind = match config.format {
        Format::Keygate => "keygate config",
        Format::Gitleaks => "gitleaks config",
    };
    let line = format!(
        "{}: ok ({kind}): {} rule{} run, {} defined or extended in the file, {} global allowlist{}",
        path.display(),
        config.rules.rules.len() + config.rules.file_rules.len(),
        plural(config.rules.rules.len() + config.rules.file_rules.len()),
        config.own_rules.len(),
        config.rules.global_allowlists.len(),
        plural(config.rules.global_allowlists.len()),
    );
    print_stdout(|out| writeln!(out, "{line}"))?;
    Ok(EXIT_CLEAN)
}

pub(super) fn rules_command(cmd: RulesCommand) -> Result<i32> {
    match cmd {
        RulesCommand::List(args) => {
            let config = if args.no_config {
                Config::builtin()?
            } else {
                Config::for_root(args.config.as_deref(), Path::new("."))?
            };
            print_stdout(|out| list(&config, out))?;
            eprintln!(
                "keygate: {} rule{} from {}",
                config.rules.rules.len() + config.rules.file_rules.len(),
                plural(config.rules.rules.len() + config.rules.file_rules.len()),
                config.describe()
            );
            Ok(EXIT_CLEAN)
        }
        RulesCommand::Test(args) => test(&args.file),
    }
}

/// `.keygate.toml` or `.gitleaks.toml` in the current directory.
fn find_here() -> Result<PathBuf> {
    match config::discover(Path::new(".")) {
        Some(p) => Ok(p),
        None => bail!(
            "no {} or {} in the current directory; name a file to check",
            config::KEYGATE_FILE,
            config::GITLEAKS_FILE
        ),
    }
}

fn list(config: &Config, out: &mut impl Write) -> io::Result<()> {
    /// Longer descriptions are cut to keep the table readable.
    const MAX_DESCRIPTION: usize = 50;
    let mut rows: Vec<(&str, String, String)> = Vec::new();
    for r in &config.rules.rules {
        let keywords = if r.keywords.is_empty() {
            "(none: runs on every file)".to_string()
        } else {
            r.keywords.join(", ")
        };
        rows.push((&r.id, r.description.clone(), keywords));
    }
    for r in &config.rules.file_rules {
        let what = format!(
            "(none: reports files whose path matches {})",
            r.path.as_str()
        );
        rows.push((&r.id, r.description.clone(), what));
    }
    for row in &mut rows {
        if row.1.chars().count() > MAX_DESCRIPTION {
            row.1 = row.1.chars().take(MAX_DESCRIPTION - 1).collect::<String>() + "…";
        }
    }
    let id_width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(2);
    let desc_width = rows
        .iter()
        .map(|r| r.1.chars().count())
        .max()
        .unwrap_or(0)
        .max(11);
    writeln!(
        out,
        "{:id_width$}  {:desc_width$}  KEYWORDS",
        "ID", "DESCRIPTION"
    )?;
    for (id, description, keywords) in &rows {
        writeln!(out, "{id:id_width$}  {description:desc_width$}  {keywords}")?;
    }
    Ok(())
}

/// Compiles `file` and checks the examples and counterexamples of the rules
/// it defines, with every other rule and allowlist of a scan in place.
fn test(file: &Path) -> Result<i32> {
    let config = Config::load_rule_file(file)?;
    for w in &config.warnings {
        eprintln!("keygate: warning: {}", crate::diag::printable(w));
    }
    let own: Vec<String> = config
        .own_rules
        .iter()
        .flat_map(|id| {
            if config.rules.get(id).is_some() {
                vec![id.clone()]
            } else {
                keygate_ids_for(id).iter().map(|s| s.to_string()).collect()
            }
        })
        .filter(|id| config.rules.get(id).is_some())
        .collect();
    let detector = Detector::new(config.rules);
    let mut scratch = Scratch::default();
    let mut failed = 0;
    let mut lines = Vec::new();
    for (i, rule) in detector.rules().rules.iter().enumerate() {
        if !own.contains(&rule.id) {
            continue;
        }
        let mut fails = Vec::new();
        for ex in &rule.examples {
            let found = detector.detect(ex.as_bytes(), None, &mut scratch);
            if !found.iter().any(|m| m.rule == i) {
                fails.push(format!("example not found: {ex:?}"));
            }
        }
        for ex in &rule.counterexamples {
            let found = detector.detect(ex.as_bytes(), None, &mut scratch);
            if found.iter().any(|m| m.rule == i) {
                fails.push(format!("counterexample matched: {ex:?}"));
            }
        }
        if !fails.is_empty() {
            failed += 1;
            for f in fails {
                lines.push(format!("FAIL  {}: {f}", rule.id));
            }
        } else if rule.examples.is_empty() && rule.counterexamples.is_empty() {
            lines.push(format!(
                "ok    {}: compiles (no examples to check)",
                rule.id
            ));
        } else {
            lines.push(format!(
                "ok    {}: {} example{}, {} counterexample{}",
                rule.id,
                rule.examples.len(),
                plural(rule.examples.len()),
                rule.counterexamples.len(),
                plural(rule.counterexamples.len())
            ));
        }
    }
    print_stdout(|out| lines.iter().try_for_each(|l| writeln!(out, "{l}")))?;
    eprintln!(
        "keygate: {}: {} rule{} tested, {failed} failed",
        file.display(),
        own.len(),
        plural(own.len())
    );
    Ok(if failed > 0 { EXIT_FAILED } else { EXIT_CLEAN })
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
