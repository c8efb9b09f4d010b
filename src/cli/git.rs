//! Arguments of the git commands: `staged`, `history` and `hook`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{parse_size, CommonArgs};

#[derive(Debug, Args)]
pub struct StagedArgs {
    /// The repository (default: the one containing the current directory,
    /// or git's environment when run from a hook).
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
#[command(after_help = "\
With no range option, scans every commit reachable from any branch, tag, \
remote-tracking ref, HEAD or stash entry. Each finding is reported once per \
rule, file and secret, attributed to the earliest commit that added it.")]
pub struct HistoryArgs {
    /// The repository (default: the one containing the current directory).
    #[arg(value_name = "REPO")]
    pub repo: Option<PathBuf>,
    /// Scan only the commits in BASE..TIP: reachable from TIP (default
    /// HEAD) and not from BASE. BASE must be present (fetch it in shallow
    /// clones).
    #[arg(long, value_name = "BASE..TIP", conflicts_with_all = ["since_commit", "branch"])]
    pub range: Option<String>,
    /// Scan only the commits after SHA, up to HEAD (or --branch).
    #[arg(long, value_name = "SHA")]
    pub since_commit: Option<String>,
    /// Scan only the commits reachable from REF instead of from every ref.
    #[arg(long, value_name = "REF")]
    pub branch: Option<String>,
    /// Also scan what no ref reaches: dangling commits and blobs, loose or
    /// packed.
    #[arg(long, conflicts_with_all = ["range", "since_commit", "branch"])]
    pub all_objects: bool,
    /// Skip blobs larger than this (e.g. 10MiB, 512K) [default:
    /// max_file_size in the project config, else 10MiB].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,
    /// Do not show the progress bar (shown only when stderr is a terminal).
    #[arg(long)]
    pub no_progress: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Install keygate's pre-commit hook (honours core.hooksPath and
    /// worktrees).
    Install(HookInstallArgs),
    /// Remove keygate's pre-commit hook (never another hook).
    Uninstall(HookRepoArgs),
}

#[derive(Debug, Args)]
pub struct HookInstallArgs {
    /// Replace an existing pre-commit hook that is not keygate's (it is
    /// kept as pre-commit.keygate-backup).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub repo: HookRepoArgs,
}

#[derive(Debug, Args)]
pub struct HookRepoArgs {
    /// The repository (default: the one containing the current directory).
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
}
