//! Replays every fuzz target's corpus (`fuzz/corpus/<target>/*`) and the
//! inputs that once crashed (`fuzz/regressions/<target>/*`) through the same
//! harnesses `cargo fuzz` runs, so CI checks them without libFuzzer.

use std::path::Path;

use keygate::detect::{Detector, Scratch};
use keygate::fuzzing;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut all = Vec::new();
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_file()) {
                let name = e.path().display().to_string();
                all.push((name, std::fs::read(e.path()).unwrap()));
            }
        }
    }
    all.sort();
    all
}

fn replay(target: &str, mut run: impl FnMut(&[u8])) {
    let all = inputs(target);
    assert!(!all.is_empty(), "no corpus for fuzz target {target}");
    for (name, data) in &all {
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(data)));
        assert!(ok.is_ok(), "fuzz target {target} panics on {name}");
    }
}

#[test]
fn detect_corpus() {
    let d = Detector::builtin().unwrap();
    let mut scratch = Scratch::default();
    replay("detect", |data| fuzzing::detect(&d, data, &mut scratch));
}

#[test]
fn rules_corpus() {
    replay("rules", fuzzing::rules);
}

#[test]
fn config_corpus() {
    replay("config", fuzzing::config);
}

#[test]
fn baseline_corpus() {
    replay("baseline", fuzzing::baseline);
}
