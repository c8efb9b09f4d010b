//! Noise control shared by the scanning commands: the project config
//! becomes the detector; commit allowlists, ignore files and the baseline
//! filter the findings once a source is done, before verification.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use crate::baseline::Baseline;
use crate::cli::{CommonArgs, NoiseArgs, DEFAULT_MAX_FILE_SIZE};
use crate::config::{CommitAllowlist, Config, Format};
use crate::detect::Detector;
use crate::finding::Finding;
use crate::ignore_file::{IgnoreList, GITLEAKS_IGNORE, KEYGATE_IGNORE};
use crate::rules::{Allowlist, AllowlistParts, RuleSet};

/// Whether a scan saw everything a baseline may describe; stale entries
/// can only be told apart from unscanned ones after a complete scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coverage {
    Complete,
    /// Only part of the project was scanned (e.g. staged changes); the
    /// text says which part.
    Partial(&'static str),
}

/// The filters that run after detection, for one scan.
pub(crate) struct Noise {
    args: NoiseArgs,
    quiet: bool,
    /// Directories findings' paths may start with; stripped to get the
    /// path relative to the scanned root.
    shown_roots: Vec<PathBuf>,
    commits: CommitAllowlist,
    ignores: IgnoreList,
    baseline: Option<Baseline>,
    config_max_file_size: Option<u64>,
}

/// Loads the project config, ignore files and baseline for a scan of
/// `root` and builds the detector. `shown_roots` are the directories the
/// source shows paths under (empty when it shows root-relative paths).
pub(crate) fn setup(
    common: &CommonArgs,
    root: &Path,
    shown_roots: Vec<PathBuf>,
) -> Result<(Detector, Noise)> {
    let args = common.noise.clone();
    let config = if args.no_config {
        Config::builtin()?
    } else {
        Config::for_root(args.config.as_deref(), root)?
    };
    if !common.quiet {
        if let Some(p) = &config.path {
            let kind = match config.format {
                Format::Keygate => "keygate",
                Format::Gitleaks => "gitleaks",
            };
            eprintln!("keygate: using {kind} config {}", p.display());
        }
        for w in &config.warnings {
            eprintln!("keygate: warning: {}", crate::diag::printable(w));
        }
    }
    let ignores = if args.no_config {
        IgnoreList::default()
    } else {
        IgnoreList::load(root)?
    };
    let baseline = args.baseline.as_deref().map(Baseline::read).transpose()?;
    let mut rules = config.rules;
    let own_files = [
        config.path.clone(),
        args.baseline.clone(),
        args.write_baseline.clone(),
        Some(root.join(KEYGATE_IGNORE)),
        Some(root.join(GITLEAKS_IGNORE)),
    ];
    skip_own_files(&mut rules, root, own_files.iter().flatten())?;
    let noise = Noise {
        args,
        quiet: common.quiet,
        shown_roots,
        commits: config.commits,
        ignores,
        baseline,
        config_max_file_size: config.max_file_size,
    };
    Ok((Detector::new(rules), noise))
}

impl Noise {
    /// The file size limit: the command line's, else the config's, else
    /// the default.
    pub(crate) fn max_file_size(&self, cli: Option<u64>) -> u64 {
        cli.or(self.config_max_file_size)
            .unwrap_or(DEFAULT_MAX_FILE_SIZE)
    }

    /// Drops allowlisted, ignored and baselined findings; writes or prunes
    /// the baseline when asked to.
    pub(crate) fn filter(
        &self,
        mut findings: Vec<Finding>,
        coverage: Coverage,
    ) -> Result<Vec<Finding>> {
        if self.args.baseline_prune {
            if let Coverage::Partial(what) = coverage {
                bail!("--baseline-prune needs a complete scan; this one covers only {what}");
            }
        }
        findings.retain(|f| {
            let by_commit = f
                .commit
                .as_deref()
                .is_some_and(|c| self.commits.allows(&f.rule, &c.commit));
            !by_commit && !self.ignores.ignores(f, &self.rel(f))
        });

        if let Some(path) = &self.args.write_baseline {
            let base = Baseline::from_findings(&findings, |f| self.rel(f));
            base.write(path)?;
            self.note(format!(
                "wrote {} baseline entr{} to {}; findings in it are not reported",
                base.len(),
                if base.len() == 1 { "y" } else { "ies" },
                path.display()
            ));
            return Ok(Vec::new());
        }

        let (Some(base), Some(path)) = (&self.baseline, &self.args.baseline) else {
            return Ok(findings);
        };
        let stale: Vec<_> = base.stale(&findings).into_iter().cloned().collect();
        let before = findings.len();
        findings.retain(|f| !base.contains(f));
        let accepted = before - findings.len();
        if accepted > 0 {
            self.note(format!(
                "{accepted} finding{} in baseline {} not reported",
                if accepted == 1 { "" } else { "s" },
                path.display()
            ));
        }
        if coverage == Coverage::Complete && !stale.is_empty() {
            if self.args.baseline_prune {
                for e in &stale {
                    eprintln!(
                        "keygate: baseline: removed stale entry {}",
                        crate::diag::printable(&format!("{} {} {}", e.fingerprint, e.rule, e.path))
                    );
                }
                let mut pruned = base.clone();
                pruned.remove(stale.iter().map(|e| e.fingerprint.as_str()));
                pruned.write(path)?;
            } else {
                self.note(format!(
                    "{} baseline entr{} in {} match no finding (--baseline-prune removes them)",
                    stale.len(),
                    if stale.len() == 1 { "y" } else { "ies" },
                    path.display()
                ));
            }
        }
        Ok(findings)
    }

    /// `f`'s path relative to the scanned root, as fingerprints use it.
    fn rel(&self, f: &Finding) -> String {
        rel_path(&f.path, &self.shown_roots)
    }

    fn note(&self, message: String) {
        if !self.quiet {
            eprintln!("keygate: {message}");
        }
    }
}

/// `path` relative to the root it is under (the nearest one), with `/`
/// separators; `path` itself without a leading `./` if it is under none.
fn rel_path(path: &str, roots: &[PathBuf]) -> String {
    let p = Path::new(path);
    let rel = roots
        .iter()
        .filter_map(|r| p.strip_prefix(r).ok())
        .filter(|r| !r.as_os_str().is_empty())
        .min_by_key(|r| r.as_os_str().len())
        .map(|r| r.to_string_lossy().replace('\\', "/"));
    rel.unwrap_or_else(|| path.strip_prefix("./").unwrap_or(path).to_string())
}

/// Adds a global allowlist so that keygate's own files under `root` (the
/// config, baselines, ignore files) are never scanned: they hold patterns
/// and fingerprints, and allowlisted look-alikes of secrets.
fn skip_own_files<'a>(
    rules: &mut RuleSet,
    root: &Path,
    files: impl Iterator<Item = &'a PathBuf>,
) -> Result<()> {
    let Ok(root) = root.canonicalize() else {
        return Ok(());
    };
    let globs: Vec<String> = files
        .filter_map(|f| f.canonicalize().ok())
        .filter_map(|f| f.strip_prefix(&root).ok().map(Path::to_path_buf))
        .map(|rel| format!("/{}", escape_glob(&rel.to_string_lossy())))
        .collect();
    if !globs.is_empty() {
        rules.global_allowlists.push(Allowlist::new(AllowlistParts {
            path_globs: globs,
            ..AllowlistParts::default()
        })?);
    }
    Ok(())
}

fn escape_glob(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '*' | '?' | '[' | ']' | '{' | '}' | '!' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rel_paths_strip_the_nearest_root() {
        let roots = [PathBuf::from("."), PathBuf::from("./sub")];
        assert_eq!(rel_path("./a/b.env", &roots[..1]), "a/b.env");
        assert_eq!(rel_path("./sub/b.env", &roots), "b.env");
        assert_eq!(
            rel_path("/abs/x/b.env", &[PathBuf::from("/abs/x/")]),
            "b.env"
        );
        assert_eq!(
            rel_path("file.txt", &[PathBuf::from("file.txt")]),
            "file.txt"
        );
        assert_eq!(rel_path("-", &roots), "-");
        assert_eq!(rel_path("src/a.rs", &[]), "src/a.rs");
    }

    #[test]
    fn glob_metacharacters_are_escaped() {
        assert_eq!(escape_glob("a[1]/*.toml"), "a\\[1\\]/\\*.toml");
    }
}
