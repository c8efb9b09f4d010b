//! Arguments for noise control (config, baselines) and the `config` and
//! `rules` commands.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// Project config and baseline options, shared by every scanning command.
#[derive(Debug, Clone, Default, Args)]
pub struct NoiseArgs {
    /// Project config: a .keygate.toml or a gitleaks config (default:
    /// .keygate.toml, else .gitleaks.toml, in the scanned directory or
    /// repository).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Use only the built-in rules: no project config and no
    /// .keygateignore/.gitleaksignore.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// Report only findings that are not in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record every current finding in FILE as accepted, and report none.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Remove the --baseline entries that match no finding any more (the
    /// file is rewritten) and list them.
    #[arg(long, requires = "baseline")]
    pub baseline_prune: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check a config file (default: .keygate.toml or .gitleaks.toml here).
    Check(ConfigCheckArgs),
}

#[derive(Debug, Args)]
pub struct ConfigCheckArgs {
    /// The config file.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules a scan here would run: id, description, keywords.
    List(RulesListArgs),
    /// Compile the rules in FILE and check each rule's examples and
    /// counterexamples; exit 1 if any fails.
    Test(RulesTestArgs),
}

#[derive(Debug, Args)]
pub struct RulesListArgs {
    /// Use this config instead of the one found in the current directory.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// List only the built-in rules.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
}

#[derive(Debug, Args)]
pub struct RulesTestArgs {
    /// A rule file, a .keygate.toml or a gitleaks config.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}
