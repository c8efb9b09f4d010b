//! Runs the git commands: `staged`, `history` and `hook`.

use std::io::{self, IsTerminal, Write};
use std::time::Instant;

use anyhow::Result;

use std::path::PathBuf;

use super::noise::{self, Coverage};
use super::{finish, EXIT_CLEAN};
use crate::cli::{CommonArgs, HistoryArgs, HookCommand, StagedArgs};
use crate::hook;
use crate::scan::Collector;
use crate::source::git::history::{self, HistoryOptions, Scope};
use crate::source::git::progress::Progress;
use crate::source::git::{attribution, staged as staged_source};
use crate::source::Stats;

/// `keygate staged`: the lines the next commit would add.
pub(super) fn staged(args: StagedArgs) -> Result<i32> {
    let started = Instant::now();
    let root = project_root(&crate::source::git::open(args.repo.as_deref())?);
    let (detector, noise) = noise::setup(&args.common, &root, Vec::new())?;
    let stats = Stats::default();
    let collector = Collector::new(&detector);
    staged_source::scan(args.repo.as_deref(), &collector, &stats)?;
    let findings = noise.filter(collector.finish(), Coverage::Partial("staged changes"))?;
    let scanned = format!("staged changes: {}", stats.summary());
    finish(&args.common, &detector, findings, &scanned, started)
}

/// `keygate history`: commits (all, a range, or one branch), optionally
/// every unreachable object too.
pub(super) fn history(args: HistoryArgs) -> Result<i32> {
    let started = Instant::now();
    let common = &args.common;
    let scope = match (&args.range, &args.since_commit, &args.branch) {
        (Some(range), _, _) => Scope::parse_range(range)?,
        (None, Some(base), tip) => Scope::Range {
            base: Some(base.clone()),
            tip: tip.clone().unwrap_or_else(|| "HEAD".into()),
        },
        (None, None, Some(tip)) => Scope::Range {
            base: None,
            tip: tip.clone(),
        },
        (None, None, None) => Scope::All,
    };
    let repo = crate::source::git::open(args.repo.as_deref())?;
    let complete = matches!(scope, Scope::All);
    let (detector, noise) = noise::setup(common, &project_root(&repo), Vec::new())?;
    let opts = HistoryOptions {
        scope,
        all_objects: args.all_objects,
        max_file_size: noise.max_file_size(args.max_file_size),
        threads: worker_threads(common),
    };
    let stats = Stats::default();
    let collector = Collector::new(&detector);
    let show = !args.no_progress && !common.quiet && io::stderr().is_terminal();
    let progress = Progress::new(show);
    let walked = history::scan(&repo, &opts, &collector, &stats, &progress);
    progress.finish();
    let audit = walked?;
    let findings = attribution::attribute(&repo, &audit, collector.finish())?;
    let coverage = if complete {
        Coverage::Complete
    } else {
        Coverage::Partial("a range of commits")
    };
    let findings = noise.filter(findings, coverage)?;
    let mut scanned = format!(
        "{} commit{}, {}",
        audit.commits.len(),
        if audit.commits.len() == 1 { "" } else { "s" },
        stats.summary()
    );
    if args.all_objects {
        scanned.push_str(&format!(
            " (incl. {} unreachable blobs)",
            audit.unreachable_blobs
        ));
    }
    finish(common, &detector, findings, &scanned, started)
}

/// `keygate hook install|uninstall`.
pub(super) fn hook(cmd: HookCommand) -> Result<i32> {
    let done = match cmd {
        HookCommand::Install(a) => hook::install(a.repo.repo.as_deref(), a.force)?,
        HookCommand::Uninstall(a) => hook::uninstall(a.repo.as_deref())?,
    };
    super::print_stdout(|out| writeln!(out, "keygate: {done}"))?;
    Ok(EXIT_CLEAN)
}

/// Where the project's config and ignore files live: the work tree, or
/// the git directory of a bare repository.
fn project_root(repo: &git2::Repository) -> PathBuf {
    repo.workdir().unwrap_or_else(|| repo.path()).to_path_buf()
}

fn worker_threads(common: &CommonArgs) -> usize {
    common
        .threads
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
