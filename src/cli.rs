//! Command-line arguments. Parsing only: `app` turns them into work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::finding::Severity;
use crate::report::Format;

mod noise;
pub use noise::{
    ConfigCheckArgs, ConfigCommand, NoiseArgs, RulesCommand, RulesListArgs, RulesTestArgs,
};

/// Files larger than this are skipped unless `--max-file-size` or the
/// project config says otherwise.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 << 20;
mod git;
pub use git::{HistoryArgs, HookCommand, HookInstallArgs, HookRepoArgs, StagedArgs};

#[derive(Debug, Parser)]
#[command(
    name = "keygate",
    version,
    about = "Find secrets in files and git history, and tell live AWS keys from dead ones",
    after_help = "Exit codes: 0 no findings, 1 findings (see --exit-code), 2 error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// One value per process: the size difference between variants is moot.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories (or `-` for standard input).
    Scan(ScanArgs),
    /// Check project configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// List rules, or test a rule file against its examples.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Scan the changes staged for the next commit (for pre-commit hooks).
    Staged(StagedArgs),
    /// Scan git history: every commit, a range of commits (CI), or every
    /// object.
    History(HistoryArgs),
    /// Install or remove keygate's git pre-commit hook.
    #[command(subcommand)]
    Hook(HookCommand),
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Also scan files that .gitignore, .ignore and git excludes skip.
    #[arg(long)]
    pub no_ignore: bool,
    /// Skip files larger than this (e.g. 10MiB, 512K, 1000000) [default:
    /// max_file_size in the project config, else 10MiB].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Options shared by every scanning command.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print secrets in full instead of redacted.
    #[arg(long)]
    pub show_secrets: bool,
    /// Exit code to use when there are findings.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub exit_code: i32,
    /// Fail (exit with --exit-code) only for findings at least this severe;
    /// all findings are still reported.
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = Severity::Low)]
    pub fail_on: Severity,
    /// Worker threads (default: number of CPUs).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// When to colour text output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Inputs that could not be scanned do not make the exit code 2 (they
    /// are still reported and counted).
    #[arg(long)]
    pub ignore_errors: bool,
    /// Do not print the summary line on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub verify: VerifyArgs,
    #[command(flatten)]
    pub noise: NoiseArgs,
}

/// Live verification of AWS keys (opt-in: the only network traffic keygate
/// ever makes).
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Check AWS key pairs live with STS GetCallerIdentity (read-only, needs
    /// no permissions; shows in the key owner's CloudTrail).
    #[arg(long)]
    pub verify: bool,
    /// Report only keys verified live (implies --verify).
    #[arg(long)]
    pub only_live: bool,
    /// STS endpoint to call.
    #[arg(
        long,
        env = "KEYGATE_STS_ENDPOINT",
        value_name = "URL",
        default_value = "https://sts.amazonaws.com/"
    )]
    pub sts_endpoint: String,
    /// Region to sign STS requests for.
    #[arg(long, value_name = "REGION", default_value = "us-east-1")]
    pub sts_region: String,
    /// Seconds before one STS request is given up.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub verify_timeout: f64,
    /// STS requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub verify_concurrency: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Parses sizes such as `10MiB`, `10M`, `512k`, `1000`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size (try 10MiB, 512K or 1000)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("{s:?}: unknown size unit {unit:?}")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("{s:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5 parsecs").is_err());
    }

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
