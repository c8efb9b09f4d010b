//! Attribution: turns the raw findings of a history scan (every secret in
//! every distinct blob, tagged with the commit and path where the blob
//! first appeared under each path class) into one finding per (rule, path,
//! secret), attributed to the earliest commit whose diff added it, with the
//! number of later commits whose version of that path still contains it.
//!
//! A blob can appear in several commits and paths (copies, reverts,
//! cherry-picks, merges); each appearance is considered, but the blob's
//! content was scanned only once per path class. A file added by a commit
//! that also deletes files may be a rename; libgit2's rename detection pairs
//! it with its source, so a moved secret stays with the commit that first
//! added it. Only blobs with findings are read again (with the blob they
//! were diffed against), so the cost is proportional to the findings, not
//! to the history.
//!
//! "Earliest" is walk order: topological, then commit time. A secret on a
//! line that a commit merely kept (an edit elsewhere in the file, a rename,
//! a merge bringing in a side branch's work) stays attributed to the commit
//! that first added it. A blob was scanned once per class of paths it took
//! (see [`Audit::path_class`]), so each of its appearances takes the
//! findings of the scan under its own class: a copy of a file under an
//! allowlisted path reports nothing, and a copy out of one does.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use git2::{Delta, DiffFindOptions, DiffOptions, Oid, Repository};

use super::history::{Audit, Change, NONE};
use super::{added_lines, commit_info_of, display_path, is_file_mode, Result};
use crate::diag;
use crate::finding::{CommitInfo, Finding};
use crate::source::text_view;

/// See the module docs. Findings without a commit (unreachable blobs) pass
/// through unchanged. The result is in [`Finding::order_key`] order.
pub fn attribute(repo: &Repository, audit: &Audit, raw: Vec<Finding>) -> Result<Vec<Finding>> {
    let (raw, mut out): (Vec<Finding>, Vec<Finding>) =
        raw.into_iter().partition(|f| f.commit.is_some());
    if raw.is_empty() {
        return Ok(out);
    }
    let located = locate(audit, &raw);

    // Which blobs hold which (rule, secret), and the raw findings per blob.
    let mut by_blob: BTreeMap<u32, Vec<(usize, u32)>> = BTreeMap::new();
    let mut holders: HashMap<(&str, &str), HashSet<u32>> = HashMap::new();
    let mut infos: HashMap<u32, Arc<CommitInfo>> = HashMap::new();
    for (i, f) in raw.iter().enumerate() {
        let Some(&(commit, blob, class)) = located.get(&i) else {
            // Cannot happen for findings this walk produced; keep it rather
            // than lose it.
            out.push(f.clone());
            continue;
        };
        by_blob.entry(blob).or_default().push((i, class));
        holders
            .entry((f.rule.as_str(), f.secret.as_str()))
            .or_default()
            .insert(blob);
        if let Some(c) = &f.commit {
            infos.entry(commit).or_insert_with(|| Arc::clone(c));
        }
    }

    // Every appearance of each blob with findings, in walk order.
    let mut appearances: HashMap<u32, Vec<Change>> = HashMap::new();
    for c in &audit.changes {
        if c.new != NONE && by_blob.contains_key(&c.new) {
            appearances.entry(c.new).or_default().push(*c);
        }
    }

    // The earliest commit adding each (rule, path, secret).
    let mut renames = Renames::new(repo, audit);
    let mut best: HashMap<Key<'_>, Pick> = HashMap::new();
    for (&blob, findings) in &by_blob {
        let intros = appearances.get(&blob).map_or(&[][..], Vec::as_slice);
        let new_oid = *audit.blobs.get(blob);
        let new = read_blob(repo, new_oid);
        let new = new.as_deref().and_then(text_view);
        for change in intros {
            let old = match change.old {
                NONE => renames.source(change),
                old => Some(*audit.blobs.get(old)),
            };
            let lines = added(repo, old, new_oid, new.as_deref());
            let class = audit.path_class[change.path as usize];
            for &(i, _) in findings.iter().filter(|&&(_, c)| c == class) {
                let f = &raw[i];
                let on_added = lines
                    .as_ref()
                    .is_none_or(|l| l.binary_search(&(f.line as u32)).is_ok());
                if !on_added {
                    continue;
                }
                let pick = Pick {
                    commit: change.commit,
                    line: f.line,
                    column: f.column,
                    raw: i,
                };
                best.entry((f.rule.as_str(), change.path, f.secret.as_str()))
                    .and_modify(|p| {
                        if pick.key() < p.key() {
                            *p = pick;
                        }
                    })
                    .or_insert(pick);
            }
        }
    }

    // Later commits still holding each picked secret, path by path.
    let mut by_path: BTreeMap<u32, Vec<(Key<'_>, Pick)>> = BTreeMap::new();
    for (k, p) in best {
        by_path.entry(k.1).or_default().push((k, p));
    }
    let mut path_changes: HashMap<u32, Vec<Change>> = HashMap::new();
    for c in &audit.changes {
        if by_path.contains_key(&c.path) {
            path_changes.entry(c.path).or_default().push(*c);
        }
    }
    for (path, picks) in by_path {
        let versions = versions_at(
            audit,
            path_changes.get(&path).map_or(&[][..], Vec::as_slice),
        );
        let shown = display_path(audit.paths.get(path));
        for ((rule, _, secret), pick) in picks {
            let held = &holders[&(rule, secret)];
            let later = versions[pick.commit as usize + 1..]
                .iter()
                .filter(|&&b| b != NONE && held.contains(&b))
                .count();
            let commit = match infos.get(&pick.commit) {
                Some(c) => Arc::clone(c),
                None => {
                    let c = commit_info_of(repo, audit.commits[pick.commit as usize].oid)?;
                    infos.insert(pick.commit, Arc::clone(&c));
                    c
                }
            };
            let f = &raw[pick.raw];
            let fingerprint = if f.path == shown {
                f.fingerprint.clone()
            } else {
                Finding::fingerprint_of(rule, &shown, secret.as_bytes())
            };
            out.push(Finding {
                path: shown.clone(),
                line: pick.line,
                column: pick.column,
                fingerprint,
                commit: Some(commit),
                later_commits: later,
                ..f.clone()
            });
        }
    }
    out.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    Ok(out)
}

/// A finding's identity: (rule, path id, secret).
type Key<'a> = (&'a str, u32, &'a str);

/// A candidate attribution; the smallest [`Pick::key`] wins.
#[derive(Debug, Clone, Copy)]
struct Pick {
    commit: u32,
    line: usize,
    column: usize,
    raw: usize,
}

impl Pick {
    fn key(&self) -> (u32, usize, usize) {
        (self.commit, self.line, self.column)
    }
}

/// Maps each raw finding (by index) to (commit, blob, path class) of the
/// change that produced it: the commit and path it was reported under.
fn locate(audit: &Audit, raw: &[Finding]) -> HashMap<usize, (u32, u32, u32)> {
    let wanted: HashSet<&str> = raw.iter().map(|f| f.path.as_str()).collect();
    let mut path_ids: HashMap<String, u32> = HashMap::new();
    for id in 0..audit.paths.len() as u32 {
        let shown = display_path(audit.paths.get(id));
        if wanted.contains(shown.as_str()) {
            path_ids.insert(shown, id);
        }
    }
    let mut keys: HashMap<(u32, u32), Vec<usize>> = HashMap::new();
    for (i, f) in raw.iter().enumerate() {
        let commit = f
            .commit
            .as_ref()
            .and_then(|c| Oid::from_str(&c.commit).ok())
            .and_then(|oid| audit.commit_index.get(&oid).copied());
        if let (Some(commit), Some(&path)) = (commit, path_ids.get(&f.path)) {
            keys.entry((commit, path)).or_default().push(i);
        }
    }
    let mut located = HashMap::new();
    for c in &audit.changes {
        if c.new == NONE {
            continue;
        }
        if let Some(is) = keys.remove(&(c.commit, c.path)) {
            for i in is {
                located.insert(i, (c.commit, c.new, audit.path_class[c.path as usize]));
            }
        }
    }
    located
}

/// The lines a change from `old` to `new` added, or `None` meaning "all
/// of them" (a new file, or a diff we could not compute: over-reporting
/// beats losing a secret).
fn added(repo: &Repository, old: Option<Oid>, new: Oid, text: Option<&[u8]>) -> Option<Vec<u32>> {
    let old = old?;
    if old == new {
        return Some(Vec::new());
    }
    let text = text?;
    let old = read_blob(repo, old)?;
    let old = text_view(&old)?;
    added_lines(Some(&old), text).ok()
}

/// Where added files came from, for the commits that also delete files
/// (only those can rename): libgit2's rename detection (exact and by
/// similarity, as `git diff` does), run once per such commit and only when
/// one of its added files holds a finding.
struct Renames<'a> {
    repo: &'a Repository,
    audit: &'a Audit,
    deleting: HashSet<u32>,
    /// Per commit: the renames it made.
    found: HashMap<u32, RenameMap>,
}

impl<'a> Renames<'a> {
    fn new(repo: &'a Repository, audit: &'a Audit) -> Renames<'a> {
        let deleting = audit
            .changes
            .iter()
            .filter(|c| c.new == NONE)
            .map(|c| c.commit)
            .collect();
        Renames {
            repo,
            audit,
            deleting,
            found: HashMap::new(),
        }
    }

    /// The blob the file of `change` (an added file) was renamed from, if
    /// its old path is of the same path class: moved out of an allowlisted
    /// path, content is new to the findings.
    fn source(&mut self, change: &Change) -> Option<Oid> {
        if !self.deleting.contains(&change.commit) {
            return None;
        }
        let oid = self.audit.commits[change.commit as usize].oid;
        let repo = self.repo;
        let map = self.found.entry(change.commit).or_insert_with(|| {
            detect_renames(repo, oid).unwrap_or_else(|e| {
                diag::warn(
                    &oid.to_string(),
                    format!(
                        "rename detection failed ({}); moved files count as added",
                        e.message()
                    ),
                );
                HashMap::new()
            })
        });
        let (old_path, old) = map.get(&self.audit.paths.get(change.path)[..])?;
        let class = |p| self.audit.path_class[p as usize];
        let old_class = self.audit.paths.id(&old_path[..].into()).map(class);
        (old_class == Some(class(change.path))).then_some(*old)
    }
}

/// New path → the path and blob it was renamed from.
type RenameMap = HashMap<Vec<u8>, (Vec<u8>, Oid)>;

fn detect_renames(repo: &Repository, oid: Oid) -> std::result::Result<RenameMap, git2::Error> {
    let commit = repo.find_commit(oid)?;
    let tree = commit.tree()?;
    let parent = match commit.parents().next() {
        Some(p) => Some(p.tree()?),
        None => None,
    };
    let mut opts = DiffOptions::new();
    opts.ignore_submodules(true);
    let mut diff = repo.diff_tree_to_tree(parent.as_ref(), Some(&tree), Some(&mut opts))?;
    diff.find_similar(Some(DiffFindOptions::new().renames(true)))?;
    Ok(diff
        .deltas()
        .filter(|d| d.status() == Delta::Renamed && is_file_mode(d.old_file().mode()))
        .filter_map(|d| {
            let path = d.new_file().path_bytes()?.to_vec();
            let old_path = d.old_file().path_bytes()?.to_vec();
            Some((path, (old_path, d.old_file().id())))
        })
        .collect())
}

fn read_blob(repo: &Repository, oid: Oid) -> Option<Vec<u8>> {
    match repo.find_blob(oid) {
        Ok(b) => Some(b.content().to_vec()),
        Err(e) => {
            diag::warn(
                &oid.to_string(),
                format!("cannot read blob: {}", e.message()),
            );
            None
        }
    }
}

/// For one path: the blob at that path in each walked commit ([`NONE`] if
/// absent), following first parents. `changes` are that path's changes in
/// walk order.
fn versions_at(audit: &Audit, changes: &[Change]) -> Vec<u32> {
    let mut at = vec![NONE; audit.commits.len()];
    let mut j = 0;
    for (c, rec) in audit.commits.iter().enumerate() {
        let mut v = if rec.first_parent == NONE {
            NONE
        } else {
            at[rec.first_parent as usize]
        };
        let mut set = false;
        while j < changes.len() && changes[j].commit as usize == c {
            if changes[j].new != NONE {
                v = changes[j].new;
                set = true;
            } else if !set {
                v = NONE;
            }
            j += 1;
        }
        at[c] = v;
    }
    at
}
