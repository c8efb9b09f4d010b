//! Commit history: every commit reachable from every ref (or a range of
//! commits), optionally plus every object no ref reaches.
//!
//! One thread walks the commits oldest-first (topological order, ties by
//! commit time) and diffs each against its first parent (root commits and
//! shallow-clone boundaries against the empty tree), skipping subtrees
//! whose ids match ([`super::treediff`]), so every file version in history
//! is seen at the first commit that introduced it. Renames are not paired
//! here: that costs reading blobs, and matters only for attribution, which
//! does it for the few commits that introduce findings. Each distinct blob
//! is queued once, with that first commit and path, to worker threads that
//! read it from the object database (each worker opens its own repository:
//! libgit2 handles are not `Sync`) and hand the whole blob to the sink. The
//! queue is bounded, so memory holds a few hundred blobs at most, whatever
//! the repository size.
//!
//! What is reported can depend on the path (path allowlists, path-only
//! rules): a blob met again under a path whose [`Sink::path_key`] differs
//! from that of every path it was queued under is queued again, with that
//! path. Without path checks every key is equal and no blob is read twice.
//!
//! The walk keeps a compact log of every file change ([`Audit`]); once the
//! scan is done, [`super::attribution`] uses it to keep only secrets on
//! lines a commit added, attribute each (rule, path, secret) to the
//! earliest commit that added it, and count the later commits still
//! containing it.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use git2::{Commit, ObjectType, Oid, Repository, Revwalk, Sort};

use super::progress::Progress;
use super::treediff::TreeDiff;
use super::{commit_info, display_path, is_file_mode_bits, GitError, Result};
use crate::diag;
use crate::finding::CommitInfo;
use crate::source::{human_bytes, text_view, Origin, Sink, Stats};

/// "No such index" in the audit's `u32` tables.
pub const NONE: u32 = u32::MAX;

/// Blobs queued ahead of the workers; bounds memory on any repository.
const QUEUE_DEPTH: usize = 256;

/// libgit2 pack window size and mapped limit (see [`scan`]).
const PACK_WINDOW: usize = 64 << 20;
const PACK_MAPPED_LIMIT: usize = 256 << 20;

/// Path prefix for blobs that no commit reaches (`--all-objects`).
pub const UNREACHABLE_PREFIX: &str = "unreachable:";

/// Which commits to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every commit reachable from any ref, `HEAD` and the stash reflog.
    All,
    /// Commits reachable from `tip` and not from `base` (all of `tip`'s
    /// history when `base` is `None`).
    Range { base: Option<String>, tip: String },
}

impl Scope {
    /// Parses `BASE..TIP` (`TIP` defaults to `HEAD`). Three dots are
    /// refused: a symmetric difference is not "what this branch adds".
    pub fn parse_range(spec: &str) -> Result<Scope> {
        let bad = || {
            GitError::new(format!(
                "--range {spec:?}: expected BASE..TIP (e.g. origin/main..HEAD)"
            ))
        };
        if spec.contains("...") {
            return Err(bad());
        }
        let (base, tip) = spec.split_once("..").ok_or_else(bad)?;
        if base.is_empty() {
            return Err(bad());
        }
        let tip = if tip.is_empty() { "HEAD" } else { tip };
        Ok(Scope::Range {
            base: Some(base.to_string()),
            tip: tip.to_string(),
        })
    }
}

#[derive(Debug, Clone)]
pub struct HistoryOptions {
    pub scope: Scope,
    /// Also scan commits and blobs that no ref reaches.
    pub all_objects: bool,
    pub max_file_size: u64,
    /// Worker threads reading and scanning blobs.
    pub threads: usize,
}

/// A walked commit.
#[derive(Debug, Clone, Copy)]
pub struct CommitRec {
    pub oid: Oid,
    pub tree: Oid,
    /// Index of the first parent in [`Audit::commits`], or [`NONE`] for a
    /// root commit, a shallow boundary, or a parent outside the range.
    pub first_parent: u32,
}

/// One file change in one commit, relative to the commit's first parent.
#[derive(Debug, Clone, Copy)]
pub struct Change {
    pub commit: u32,
    pub path: u32,
    /// The file's blob after the commit; [`NONE`] if the file is gone (or is
    /// no longer a regular file).
    pub new: u32,
    /// The blob it was diffed against; [`NONE`] if the file is new.
    pub old: u32,
}

/// Interned values with dense `u32` ids.
#[derive(Debug)]
pub struct Table<K> {
    ids: HashMap<K, u32>,
    values: Vec<K>,
}

impl<K: std::hash::Hash + Eq + Clone> Table<K> {
    fn new() -> Table<K> {
        Table {
            ids: HashMap::new(),
            values: Vec::new(),
        }
    }

    /// The id of `k`, adding it if new; `true` if it was new.
    fn intern(&mut self, k: &K) -> (u32, bool) {
        if let Some(&id) = self.ids.get(k) {
            return (id, false);
        }
        let id = self.values.len() as u32;
        self.ids.insert(k.clone(), id);
        self.values.push(k.clone());
        (id, true)
    }

    pub fn id(&self, k: &K) -> Option<u32> {
        self.ids.get(k).copied()
    }

    pub fn get(&self, id: u32) -> &K {
        &self.values[id as usize]
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// What the walk saw: enough to attribute findings after the scan, without
/// holding any file content. Indexes are positions in walk order.
#[derive(Debug)]
pub struct Audit {
    /// Walk order: parents before children, older before newer.
    pub commits: Vec<CommitRec>,
    pub commit_index: HashMap<Oid, u32>,
    /// Paths as git stores them (bytes).
    pub paths: Table<Box<[u8]>>,
    /// For each path, the id of its [`Sink::path_key`]: a blob's findings
    /// under one path hold under every path of the same class.
    pub path_class: Vec<u32>,
    pub blobs: Table<Oid>,
    /// Every file change, in walk order.
    pub changes: Vec<Change>,
    /// Blobs that no commit reaches, scanned under [`UNREACHABLE_PREFIX`].
    pub unreachable_blobs: usize,
}

/// A blob for the workers: its first appearance in the walk.
struct Job {
    oid: Oid,
    path: String,
    commit: Option<Arc<CommitInfo>>,
}

/// Walks and scans history. Findings reach `sink` with the commit and path
/// where each blob first appeared (under each path class) and no line
/// filter; pass the sink's
/// findings and the returned [`Audit`] to [`super::attribution::attribute`].
pub fn scan(
    repo: &Repository,
    opts: &HistoryOptions,
    sink: &dyn Sink,
    stats: &Stats,
    progress: &Progress,
) -> Result<Audit> {
    // Object ids come from the repository itself; re-hashing every object
    // read (libgit2's default) would double the cost of the audit.
    git2::opts::strict_hash_verification(false);
    // libgit2's object cache (up to 256 MiB) halves the peak memory of a
    // large audit when off, and costs no measurable time: each blob is read
    // once, and each tree at most twice (for its commit and for a child).
    git2::opts::enable_caching(false);
    // Pack files are memory-mapped in windows; by default libgit2 keeps up
    // to 8 GiB of them mapped, so a full audit of a large repository ends
    // with its whole pack resident. Smaller windows and a mapped limit
    // bound that (git.git, 500 MiB pack: 655 MB peak RSS down to 200 MB),
    // for a little system time.
    // SAFETY: these set libgit2 globals; no other thread is using libgit2
    // yet (the workers start below), and later settings only affect new
    // mappings.
    unsafe {
        let _ = git2::opts::set_mwindow_size(PACK_WINDOW);
        let _ = git2::opts::set_mwindow_mapped_limit(PACK_MAPPED_LIMIT);
    }
    // Each worker gets its own handle (libgit2 repositories are not
    // `Sync`), opened here so a failure stops the scan before it starts.
    let workers = (0..opts.threads.max(1))
        .map(|_| {
            Repository::open(repo.path()).map_err(|e| {
                GitError::wrap(
                    format!("{}: cannot open repository", repo.path().display()),
                    &e,
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // One queue per worker; a path's versions all go to the same worker,
    // whose libgit2 delta-base cache then holds the bases they share.
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..workers.len())
        .map(|_| sync_channel::<Job>(QUEUE_DEPTH / workers.len()))
        .unzip();
    let warned = Mutex::new(HashSet::new());
    let limits = Limits {
        max_size: opts.max_file_size,
        warned: &warned,
    };
    std::thread::scope(|s| {
        for (worker, rx) in workers.into_iter().zip(rxs) {
            let limits = &limits;
            s.spawn(move || work(&worker, rx, limits, sink, stats, progress));
        }
        let mut walker = Walker::new(repo, txs, sink, progress);
        walker.run(opts)?;
        Ok(walker.finish())
        // `walker` (and with it the senders) is dropped here, so the
        // workers drain their queues and stop before the scope ends.
    })
}

/// What the workers skip, and the paths already warned about.
struct Limits<'a> {
    max_size: u64,
    warned: &'a Mutex<HashSet<String>>,
}

/// A worker: reads queued blobs and scans them until the queue closes.
/// It always drains the queue, so the walker never blocks on a dead worker.
fn work(
    repo: &Repository,
    rx: Receiver<Job>,
    limits: &Limits<'_>,
    sink: &dyn Sink,
    stats: &Stats,
    progress: &Progress,
) {
    let next = || rx.recv().ok();
    let odb = match repo.odb() {
        Ok(o) => o,
        Err(e) => {
            diag::error(
                &repo.path().to_string_lossy(),
                format!("cannot open object database: {}", e.message()),
            );
            while next().is_some() {}
            return;
        }
    };
    while let Some(job) = next() {
        sink.file(&Origin {
            path: &job.path,
            rel: &job.path,
            commit: job.commit.as_ref(),
            lines: None,
        });
        let unreadable = |e: git2::Error| {
            diag::error(
                &job.path,
                format!("cannot read blob {}: {}", job.oid, e.message()),
            );
            progress.blob_done(0);
        };
        match odb.read_header(job.oid) {
            Ok((size, _)) if size as u64 > limits.max_size => {
                stats.skipped_large.fetch_add(1, Ordering::Relaxed);
                progress.blob_done(0);
                warn_large(&job, size as u64, limits.max_size, limits.warned);
                continue;
            }
            Ok(_) => {}
            Err(e) => {
                unreadable(e);
                continue;
            }
        }
        let obj = match odb.read(job.oid) {
            Ok(o) => o,
            Err(e) => {
                unreadable(e);
                continue;
            }
        };
        let bytes = obj.data();
        progress.blob_done(bytes.len());
        let Some(text) = text_view(bytes) else {
            stats.skipped_binary.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        stats.scanned(bytes.len());
        let origin = Origin {
            path: &job.path,
            rel: &job.path,
            commit: job.commit.as_ref(),
            lines: None,
        };
        sink.scan(&origin, &text);
    }
}

/// Skipped blobs are never silent; one warning per path is enough (a large
/// generated file can have hundreds of versions).
fn warn_large(job: &Job, size: u64, max: u64, warned: &Mutex<HashSet<String>>) {
    let first = warned
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(job.path.clone());
    if first {
        diag::warn(
            &job.path,
            format!(
                "skipped: blob {} is {}, over --max-file-size {} (later versions of this \
                 path over the limit are skipped without a warning)",
                job.oid,
                human_bytes(size),
                human_bytes(max)
            ),
        );
    }
}

struct Walker<'r> {
    repo: &'r Repository,
    /// One queue per worker.
    txs: Vec<SyncSender<Job>>,
    sink: &'r dyn Sink,
    progress: &'r Progress,
    audit: Audit,
    /// Distinct path keys; a path's class is its key's id here.
    classes: Table<Vec<u64>>,
    /// By blob id: the path class it was first queued under, or [`NONE`].
    queued: Vec<u32>,
    /// (blob, class) pairs queued besides those in `queued`.
    requeued: HashSet<(u32, u32)>,
    /// Commits whose parents a shallow clone does not have.
    shallow: HashSet<Oid>,
    trees: TreeDiff<'r>,
    /// In range mode, reaching a shallow boundary means part of the range
    /// is missing: say so.
    warn_shallow: bool,
}

impl<'r> Walker<'r> {
    fn new(
        repo: &'r Repository,
        txs: Vec<SyncSender<Job>>,
        sink: &'r dyn Sink,
        progress: &'r Progress,
    ) -> Walker<'r> {
        Walker {
            repo,
            txs,
            sink,
            progress,
            audit: Audit {
                commits: Vec::new(),
                commit_index: HashMap::new(),
                paths: Table::new(),
                path_class: Vec::new(),
                blobs: Table::new(),
                changes: Vec::new(),
                unreachable_blobs: 0,
            },
            classes: Table::new(),
            queued: Vec::new(),
            requeued: HashSet::new(),
            shallow: shallow_commits(repo),
            trees: TreeDiff::new(repo),
            warn_shallow: false,
        }
    }

    fn finish(self) -> Audit {
        self.audit
    }

    fn run(&mut self, opts: &HistoryOptions) -> Result<()> {
        let mut walk = self.new_walk()?;
        match &opts.scope {
            Scope::All => self.push_all_refs(&mut walk)?,
            Scope::Range { base, tip } => {
                self.warn_shallow = base.is_some();
                let tip = resolve(self.repo, tip, "tip")?;
                walk.push(tip)
                    .map_err(|e| GitError::wrap(format!("cannot walk from {tip}"), &e))?;
                if let Some(base) = base {
                    let base = resolve(self.repo, base, "base")?;
                    walk.hide(base)
                        .map_err(|e| GitError::wrap(format!("cannot hide {base}"), &e))?;
                }
            }
        }
        let oids = match collect(walk) {
            Ok(oids) => oids,
            // A commit the walk needs cannot be read (a damaged repository,
            // e.g. a truncated pack): walk again without libgit2, reporting
            // and skipping what cannot be read, so the rest is still scanned.
            Err(_) => {
                let (tips, hidden) = match &opts.scope {
                    Scope::All => (self.all_tips()?, Vec::new()),
                    Scope::Range { base, tip } => (
                        vec![resolve(self.repo, tip, "tip")?],
                        match base {
                            Some(b) => vec![resolve(self.repo, b, "base")?],
                            None => Vec::new(),
                        },
                    ),
                };
                let mut bad = HashSet::new();
                let hidden: HashSet<Oid> =
                    parents_first(self.repo, &hidden, &HashSet::new(), &mut bad)
                        .into_iter()
                        .collect();
                parents_first(self.repo, &tips, &hidden, &mut bad)
            }
        };
        self.progress.set_commits(oids.len() as u64);
        for oid in oids {
            self.commit(oid)?;
        }
        if opts.all_objects {
            self.unreachable()?;
        }
        Ok(())
    }

    fn new_walk(&self) -> Result<Revwalk<'r>> {
        let mut walk = self
            .repo
            .revwalk()
            .map_err(|e| GitError::wrap("cannot walk history", &e))?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE)
            .map_err(|e| GitError::wrap("cannot walk history", &e))?;
        Ok(walk)
    }

    /// Pushes `HEAD`, every ref that leads to a commit, and every stash
    /// entry (older entries live only in the stash's reflog).
    fn push_all_refs(&self, walk: &mut Revwalk<'_>) -> Result<()> {
        for tip in self.all_tips()? {
            if let Err(e) = walk.push(tip) {
                diag::warn(
                    &tip.to_string(),
                    format!("cannot walk from here: {}", e.message()),
                );
            }
        }
        Ok(())
    }

    /// `HEAD`, every ref that leads to a commit, and every stash entry.
    fn all_tips(&self) -> Result<Vec<Oid>> {
        let mut tips: Vec<Oid> = Vec::new();
        if let Ok(c) = self.repo.head().and_then(|h| h.peel_to_commit()) {
            tips.push(c.id());
        }
        let refs = self
            .repo
            .references()
            .map_err(|e| GitError::wrap("cannot list refs", &e))?;
        for r in refs {
            let r = match r {
                Ok(r) => r,
                Err(e) => {
                    diag::warn(
                        "<refs>",
                        format!("skipping unreadable ref: {}", e.message()),
                    );
                    continue;
                }
            };
            // Tags of trees or blobs have no history; `--all-objects` scans
            // their blobs.
            if let Ok(c) = r.peel_to_commit() {
                tips.push(c.id());
            }
        }
        if let Ok(log) = self.repo.reflog("refs/stash") {
            tips.extend(log.iter().map(|e| e.id_new()));
        }
        tips.sort();
        tips.dedup();
        Ok(tips)
    }

    /// Records one commit's changes and queues the blobs it introduces.
    fn commit(&mut self, oid: Oid) -> Result<()> {
        let commit = self
            .repo
            .find_commit(oid)
            .map_err(|e| GitError::wrap(format!("cannot read commit {oid}"), &e))?;
        let (first_parent, parent_tree) = self.first_parent(&commit);
        let idx = self.audit.commits.len() as u32;
        let tree = commit.tree_id();
        self.audit.commits.push(CommitRec {
            oid,
            tree,
            first_parent,
        });
        self.audit.commit_index.insert(oid, idx);
        let mut changes = Vec::new();
        if let Err(e) = self.trees.diff(parent_tree, Some(tree), &mut changes) {
            // A missing tree (damaged or partial repository): report it,
            // count it as an error, and go on with the rest.
            diag::error(
                &oid.to_string(),
                format!("cannot diff commit against its parent: {}", e.message()),
            );
        }
        let mut info: Option<Arc<CommitInfo>> = None;
        for c in changes {
            let new = match c.new {
                Some((id, mode)) if is_file_mode_bits(mode) => id,
                // Deleted, or now a symlink or submodule: the file is gone.
                _ => {
                    self.change(idx, &c.path, None, None);
                    continue;
                }
            };
            let old = c
                .old
                .filter(|&(_, m)| is_file_mode_bits(m))
                .map(|(id, _)| id);
            if self.change(idx, &c.path, Some(new), old) {
                let info = info.get_or_insert_with(|| Arc::new(commit_info(&commit)));
                self.queue(Job {
                    oid: new,
                    path: display_path(&c.path),
                    commit: Some(Arc::clone(info)),
                })?;
            }
        }
        self.progress.commit_done();
        Ok(())
    }

    /// The first parent's walk index and tree. A parent a shallow clone
    /// does not have counts as the empty tree (libgit2 already presents
    /// shallow commits as roots).
    fn first_parent(&self, commit: &Commit<'_>) -> (u32, Option<Oid>) {
        if self.warn_shallow && self.shallow.contains(&commit.id()) {
            diag::warn(
                &commit.id().to_string(),
                "shallow clone boundary inside the range: this commit's parents are \
                 missing, so its whole tree is scanned as added; fetch more history to avoid this",
            );
        }
        let Ok(pid) = commit.parent_id(0) else {
            return (NONE, None);
        };
        let fp = self.audit.commit_index.get(&pid).copied().unwrap_or(NONE);
        if fp != NONE {
            return (fp, Some(self.audit.commits[fp as usize].tree));
        }
        match self.repo.find_commit(pid) {
            Ok(p) => (fp, Some(p.tree_id())),
            Err(e) => {
                diag::warn(
                    &commit.id().to_string(),
                    format!(
                        "parent {pid} is missing ({}); diffing against the empty tree",
                        e.message()
                    ),
                );
                (NONE, None)
            }
        }
    }

    /// Logs a change; returns true if `new` is a blob not queued before
    /// under a path of this path's class.
    fn change(&mut self, commit: u32, path: &[u8], new: Option<Oid>, old: Option<Oid>) -> bool {
        let (path, new_path) = self.audit.paths.intern(&Box::from(path));
        if new_path {
            let key = self
                .sink
                .path_key(&display_path(self.audit.paths.get(path)));
            self.audit.path_class.push(self.classes.intern(&key).0);
        }
        let class = self.audit.path_class[path as usize];
        let old = old.map_or(NONE, |o| self.blob(o).0);
        let (new, first) = match new {
            Some(n) => {
                let (id, _) = self.blob(n);
                (id, self.mark_queued(id, class))
            }
            None => (NONE, false),
        };
        self.audit.changes.push(Change {
            commit,
            path,
            new,
            old,
        });
        first
    }

    fn blob(&mut self, oid: Oid) -> (u32, bool) {
        let (id, new) = self.audit.blobs.intern(&oid);
        if new {
            self.queued.push(NONE);
        }
        (id, new)
    }

    /// Records that `blob` is queued under a path of `class`; false if it
    /// already was.
    fn mark_queued(&mut self, blob: u32, class: u32) -> bool {
        let first = &mut self.queued[blob as usize];
        if *first == NONE {
            *first = class;
            true
        } else {
            *first != class && self.requeued.insert((blob, class))
        }
    }

    fn queue(&self, job: Job) -> Result<()> {
        self.progress.blob_queued();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        job.path.hash(&mut h);
        let worker = (h.finish() % self.txs.len() as u64) as usize;
        self.txs[worker]
            .send(job)
            .map_err(|_| GitError::new("the blob scanners stopped unexpectedly"))
    }

    /// `--all-objects`: walks commits no ref reaches, then queues every blob
    /// that no commit reaches, loose or packed.
    fn unreachable(&mut self) -> Result<()> {
        let odb = self
            .repo
            .odb()
            .map_err(|e| GitError::wrap("cannot open the object database", &e))?;
        let mut unknown = Vec::new();
        odb.foreach(|oid| {
            if !self.audit.commit_index.contains_key(oid) && self.audit.blobs.id(oid).is_none() {
                unknown.push(*oid);
            }
            true
        })
        .map_err(|e| GitError::wrap("cannot list objects", &e))?;
        unknown.sort();
        unknown.dedup();
        let (mut commits, mut blobs) = (Vec::new(), Vec::new());
        for oid in unknown {
            match odb.read_header(oid) {
                Ok((_, ObjectType::Commit)) => commits.push(oid),
                Ok((_, ObjectType::Blob)) => blobs.push(oid),
                Ok(_) => {}
                Err(e) => diag::error(
                    &oid.to_string(),
                    format!("cannot read object: {}", e.message()),
                ),
            }
        }
        if !commits.is_empty() {
            let mut walk = self.new_walk()?;
            for c in &commits {
                if let Err(e) = walk.push(*c) {
                    diag::warn(
                        &c.to_string(),
                        format!("cannot walk from here: {}", e.message()),
                    );
                }
            }
            let oids: Vec<Oid> = collect(walk)?
                .into_iter()
                .filter(|o| !self.audit.commit_index.contains_key(o))
                .collect();
            self.progress
                .set_commits((self.audit.commits.len() + oids.len()) as u64);
            for oid in oids {
                self.commit(oid)?;
            }
        }
        for oid in blobs {
            let (id, _) = self.blob(oid);
            // No path reaches these blobs, so any one class will do.
            if !self.mark_queued(id, 0) {
                continue;
            }
            self.audit.unreachable_blobs += 1;
            self.queue(Job {
                oid,
                path: format!("{UNREACHABLE_PREFIX}{oid}"),
                commit: None,
            })?;
        }
        Ok(())
    }
}

/// The commits reachable from `tips` but not through `hidden`, parents
/// before children. A commit that cannot be read is reported once (an
/// error: part of the history is not scanned) and its ancestors through it
/// are not reached.
fn parents_first(
    repo: &Repository,
    tips: &[Oid],
    hidden: &HashSet<Oid>,
    bad: &mut HashSet<Oid>,
) -> Vec<Oid> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut stack: Vec<(Oid, bool)> = tips.iter().rev().map(|&t| (t, false)).collect();
    while let Some((oid, parents_done)) = stack.pop() {
        if parents_done {
            out.push(oid);
            continue;
        }
        if hidden.contains(&oid) || !seen.insert(oid) {
            continue;
        }
        match repo.find_commit(oid) {
            Ok(c) => {
                stack.push((oid, true));
                stack.extend(
                    c.parent_ids()
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .map(|p| (p, false)),
                );
            }
            Err(e) => {
                if bad.insert(oid) {
                    diag::error(
                        &oid.to_string(),
                        format!("cannot read commit: {}", e.message()),
                    );
                }
            }
        }
    }
    out
}

fn collect(walk: Revwalk<'_>) -> Result<Vec<Oid>> {
    walk.collect::<std::result::Result<Vec<Oid>, git2::Error>>()
        .map_err(|e| GitError::wrap("cannot walk history", &e))
}

/// Resolves a revision to a commit, explaining a missing one (usually a
/// shallow clone that lacks it).
fn resolve(repo: &Repository, spec: &str, what: &str) -> Result<Oid> {
    let missing = |detail: &str| {
        let hint = if repo.is_shallow() {
            "this is a shallow clone that does not have it: fetch more history \
             (`git fetch --deepen=N`, `git fetch origin BASE`, or `fetch-depth: 0` with \
             actions/checkout)"
        } else {
            "fetch it first (`git fetch origin BASE`)"
        };
        GitError::new(format!(
            "{what} {spec:?} is not in this repository ({detail}); {hint}; nothing was scanned"
        ))
    };
    let obj = repo
        .revparse_single(spec)
        .map_err(|e| missing(e.message()))?;
    let commit = obj.peel_to_commit().map_err(|e| missing(e.message()))?;
    Ok(commit.id())
}

/// The commits listed in the repository's `shallow` file.
fn shallow_commits(repo: &Repository) -> HashSet<Oid> {
    if !repo.is_shallow() {
        return HashSet::new();
    }
    std::fs::read_to_string(repo.commondir().join("shallow"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| Oid::from_str(l.trim()).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse() {
        assert_eq!(
            Scope::parse_range("a..b").unwrap(),
            Scope::Range {
                base: Some("a".into()),
                tip: "b".into()
            }
        );
        assert_eq!(
            Scope::parse_range("origin/main..").unwrap(),
            Scope::Range {
                base: Some("origin/main".into()),
                tip: "HEAD".into()
            }
        );
        assert!(Scope::parse_range("a...b").is_err());
        assert!(Scope::parse_range("main").is_err());
        assert!(Scope::parse_range("..b").is_err());
    }
}
