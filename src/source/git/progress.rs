//! Progress of a history scan: counters every thread bumps, and an
//! optional `indicatif` bar on standard error that reads them.
//!
//! The bar is drawn only when asked for (the app asks only when stderr is
//! a terminal and `--no-progress`/`--quiet` are off); reports go to stdout
//! or a file, so the bar never mixes with JSON or SARIF.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::source::human_bytes;

#[derive(Debug, Default)]
struct Counters {
    blobs_done: AtomicU64,
    blobs_queued: AtomicU64,
    bytes: AtomicU64,
}

/// Cheap to clone; every clone updates the same counters and bar.
#[derive(Clone)]
pub struct Progress {
    counters: Arc<Counters>,
    bar: Option<ProgressBar>,
}

impl Progress {
    /// `show`: draw a bar on stderr.
    pub fn new(show: bool) -> Progress {
        let counters = Arc::new(Counters::default());
        let bar = show.then(|| bar(&counters));
        Progress { counters, bar }
    }

    /// The number of commits to walk, once known.
    pub fn set_commits(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(n);
        }
    }

    pub fn commit_done(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    pub fn blob_queued(&self) {
        self.counters.blobs_queued.fetch_add(1, Ordering::Relaxed);
    }

    pub fn blob_done(&self, bytes: usize) {
        self.counters.blobs_done.fetch_add(1, Ordering::Relaxed);
        self.counters
            .bytes
            .fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Removes the bar (call before printing anything else).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn bar(counters: &Arc<Counters>) -> ProgressBar {
    let blobs = Arc::clone(counters);
    let rate = Arc::clone(counters);
    let style = ProgressStyle::with_template(
        "{spinner} {elapsed_precise} [{bar:24}] {pos}/{len} commits, {blobs} blobs, {rate}, ETA {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ")
    .with_key("blobs", move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
        let done = blobs.blobs_done.load(Ordering::Relaxed);
        let queued = blobs.blobs_queued.load(Ordering::Relaxed);
        let _ = write!(w, "{done}/{queued}");
    })
    .with_key("rate", move |s: &ProgressState, w: &mut dyn std::fmt::Write| {
        let secs = s.elapsed().as_secs_f64().max(0.001);
        let bytes = rate.bytes.load(Ordering::Relaxed) as f64;
        let _ = write!(w, "{}/s", human_bytes((bytes / secs) as u64));
    });
    let bar =
        ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr()).with_style(style);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}
