//! Runs a parsed command line: builds the rule set, drives a source through
//! detection, and prints the report. Returns the process exit code.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::time::Instant;

use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};

use crate::cli::{Cli, ColorChoice, Command, CommonArgs, ScanArgs};
use crate::detect::Detector;
use crate::diag;
use crate::finding::{Finding, Verification};
use crate::report::{self, Format, ReportOptions};
use crate::scan::Collector;
use crate::source::{self, files::FileOptions, Stats};
use crate::triage;
use crate::verify::{self, Canaries, StsClient, StsConfig};

mod noise;
mod rules;

use noise::Coverage;
mod git;

/// Exit code: no findings.
pub const EXIT_CLEAN: i32 = 0;
/// Exit code: something could not be done or scanned.
pub const EXIT_ERROR: i32 = 2;

pub fn run(cli: Cli) -> i32 {
    let result = match cli.command {
        Command::Scan(args) => scan(args),
        Command::Config(cmd) => rules::config_command(cmd),
        Command::Rules(cmd) => rules::rules_command(cmd),
        Command::Staged(args) => git::staged(args),
        Command::History(args) => git::history(args),
        Command::Hook(cmd) => git::hook(cmd),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("keygate: error: {}", diag::printable(&one_line(&e)));
            EXIT_ERROR
        }
    }
}

fn one_line(e: &anyhow::Error) -> String {
    format!("{e:#}").replace('\n', " ")
}

fn scan(args: ScanArgs) -> Result<i32> {
    let started = Instant::now();
    let common = &args.common;
    let threads = thread_count(common);
    let (stdin, paths): (Vec<_>, Vec<_>) = args
        .paths
        .iter()
        .cloned()
        .partition(|p| p.as_os_str() == "-");
    // The project's config, ignore files and baseline paths belong to the
    // first directory scanned (or the current one).
    let root = paths
        .iter()
        .find(|p| p.is_dir())
        .cloned()
        .unwrap_or_else(|| ".".into());
    let (detector, noise) = noise::setup(common, &root, paths.clone())?;
    let stats = Stats::default();
    let collector = Collector::new(&detector);
    if !stdin.is_empty() {
        source::stdin::scan(&collector, &stats);
    }
    if !paths.is_empty() {
        let opts = FileOptions {
            paths,
            no_ignore: args.no_ignore,
            max_file_size: noise.max_file_size(args.max_file_size),
            threads,
        };
        source::files::scan(&opts, &collector, &stats);
    }
    let findings = noise.filter(collector.finish(), Coverage::Complete)?;
    finish(common, &detector, findings, &stats.summary(), started)
}

/// Prints the report and the summary; computes the exit code.
fn finish(
    common: &CommonArgs,
    detector: &Detector,
    findings: Vec<Finding>,
    scanned: &str,
    started: Instant,
) -> Result<i32> {
    let mut findings = check(common, findings)?;
    triage::assess(&mut findings);
    write_report(common, detector, &findings)?;
    let errors = diag::error_count();
    if !common.quiet {
        let mut line = format!(
            "keygate: scanned {scanned} in {:.2}s: {} finding{}",
            started.elapsed().as_secs_f64(),
            findings.len(),
            if findings.len() == 1 { "" } else { "s" }
        );
        if errors > 0 {
            line.push_str(&format!(
                ", {errors} input{} could not be scanned",
                if errors == 1 { "" } else { "s" }
            ));
        }
        eprintln!("{line}");
    }
    Ok(if errors > 0 && !common.ignore_errors {
        EXIT_ERROR
    } else if findings.iter().any(|f| f.severity >= common.fail_on) {
        common.exit_code
    } else {
        EXIT_CLEAN
    })
}

/// Offline AWS facts always; live verification when asked for.
fn check(common: &CommonArgs, mut findings: Vec<Finding>) -> Result<Vec<Finding>> {
    let args = &common.verify;
    let canaries = Canaries::builtin();
    verify::mark_offline(&mut findings, &canaries);
    if !(args.verify || args.only_live) {
        return Ok(findings);
    }
    if !(args.verify_timeout > 0.0 && args.verify_timeout.is_finite()) {
        bail!("--verify-timeout must be a positive number of seconds");
    }
    let client = StsClient::new(StsConfig {
        endpoint: args.sts_endpoint.clone(),
        region: args.sts_region.clone(),
        timeout: Duration::from_secs_f64(args.verify_timeout),
        concurrency: args.verify_concurrency.max(1),
        ..StsConfig::default()
    })
    .map_err(|e| anyhow!("--sts-endpoint: {e}"))?;
    let summary = verify::verify_findings(&mut findings, &client, &canaries);
    if !common.quiet {
        eprintln!(
            "keygate: verified {} AWS credential{} with STS at {}{}",
            summary.credentials_checked,
            if summary.credentials_checked == 1 {
                ""
            } else {
                "s"
            },
            args.sts_endpoint,
            if summary.canary_keys > 0 {
                format!(" ({} canary keys not sent)", summary.canary_keys)
            } else {
                String::new()
            }
        );
    }
    if args.only_live {
        findings.retain(|f| matches!(f.verification, Some(Verification::Live { .. })));
    }
    Ok(findings)
}

fn write_report(common: &CommonArgs, detector: &Detector, findings: &[Finding]) -> Result<()> {
    let (mut out, to_terminal): (Box<dyn Write>, bool) = match &common.output {
        Some(path) => (
            Box::new(BufWriter::new(File::create(path).with_context(|| {
                format!("{}: cannot create output file", path.display())
            })?)),
            false,
        ),
        None => (
            Box::new(BufWriter::new(io::stdout().lock())),
            io::stdout().is_terminal(),
        ),
    };
    let color = match common.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_terminal && common.format == Format::Text && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let opts = ReportOptions {
        show_secrets: common.show_secrets,
        color,
    };
    let mut printer = report::printer(common.format, opts, detector.rules());
    let res = printer.print(findings, &mut out).and_then(|_| out.flush());
    broken_pipe_is_ok(res).context("cannot write report")
}

/// Runs `print` on standard output, flushed; a closed pipe is not an error.
fn print_stdout(print: impl FnOnce(&mut io::StdoutLock) -> io::Result<()>) -> Result<()> {
    let mut out = io::stdout().lock();
    broken_pipe_is_ok(print(&mut out).and_then(|_| out.flush())).context("cannot write output")
}

/// A reader that stopped reading (`keygate ... | head`) got what it wanted:
/// a broken pipe is not an error.
fn broken_pipe_is_ok(res: io::Result<()>) -> io::Result<()> {
    match res {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

fn thread_count(common: &CommonArgs) -> usize {
    let n = common
        .threads
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    // The global pool may already exist (tests run many commands in one
    // process); the error is harmless then.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global();
    n
}
