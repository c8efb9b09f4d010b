//! Standard input as one buffer, shown as path `-`.

use std::io::Read;

use super::{text_view, Origin, Sink, Stats};
use crate::diag;

pub fn scan(sink: &dyn Sink, stats: &Stats) {
    let mut buf = Vec::new();
    if let Err(e) = std::io::stdin().lock().read_to_end(&mut buf) {
        return diag::error("-", format!("cannot read standard input: {e}"));
    }
    let Some(text) = text_view(&buf) else {
        stats
            .skipped_binary
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return;
    };
    stats.scanned(buf.len());
    let origin = Origin {
        path: "-",
        rel: "-",
        commit: None,
        lines: None,
    };
    sink.scan(&origin, &text);
}
