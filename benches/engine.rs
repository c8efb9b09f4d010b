//! Throughput of the detection engine on realistic source text: a few MiB of
//! mixed code, config and lockfiles with a handful of secrets.
//!
//! Run: `cargo bench --bench engine` (reports MiB/s of input scanned): the
//! whole detector, its keyword pass alone, and aho-corasick's overlapping
//! iterator over the same keywords for comparison.

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use keygate::detect::{Detector, Prefilter, Scratch, WindowScratch, WindowSize};

/// Deterministic xorshift, so every run scans the same bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn string(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize] as char)
            .collect()
    }
}

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const HEX: &[u8] = b"0123456789abcdef";

/// About `target` bytes of code (this crate's own sources), package-lock
/// and Cargo.lock entries, YAML and .env config, and ten secrets.
fn corpus(target: usize) -> Vec<u8> {
    let code = [
        include_str!("../src/detect/mod.rs"),
        include_str!("../src/source/files.rs"),
        include_str!("../src/report/sarif.rs"),
        include_str!("../src/rules/mod.rs"),
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = String::new();
    let mut i = 0;
    while out.len() < target {
        match i % 5 {
            0 | 1 => out.push_str(code[i % code.len()]),
            2 => {
                for n in 0..200 {
                    out.push_str(&format!(
                        "    \"node_modules/pkg{n}\": {{\n      \"version\": \"1.{n}.0\",\n      \"resolved\": \"https://registry.npmjs.org/pkg{n}/-/pkg{n}-1.{n}.0.tgz\",\n      \"integrity\": \"sha512-{}==\"\n    }},\n",
                        rng.string(B64, 86)
                    ));
                }
            }
            3 => {
                for n in 0..200 {
                    out.push_str(&format!(
                        "[[package]]\nname = \"crate{n}\"\nversion = \"0.{n}.1\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n\n",
                        rng.string(HEX, 64)
                    ));
                }
            }
            _ => {
                for n in 0..100 {
                    out.push_str(&format!(
                        "service{n}:\n  image: registry.example.org/app:{}\n  replicas: 3\n  env:\n    LOG_LEVEL: info\n    REQUEST_ID: {}-{}-4{}\n    PASSWORD: ${{DB_PASSWORD}}\n",
                        rng.string(HEX, 40),
                        rng.string(HEX, 8),
                        rng.string(HEX, 4),
                        rng.string(HEX, 3)
                    ));
                }
            }
        }
        if i % 7 == 0 {
            out.push_str(&format!(
                "AWS_ACCESS_KEY_ID=AKIA{}\nAWS_SECRET_ACCESS_KEY={}\n",
                rng.string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
                rng.string(B64, 40)
            ));
        }
        i += 1;
    }
    out.into_bytes()
}

fn engine(c: &mut Criterion) {
    let detector = Detector::builtin().expect("built-in rules compile");
    let input = corpus(4 << 20);
    let mut scratch = Scratch::default();
    assert!(!detector.detect(&input, None, &mut scratch).is_empty());
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.sample_size(20);
    group.bench_function("mixed-source-4MiB", |b| {
        b.iter(|| detector.detect(&input, None, &mut scratch))
    });
    // The keyword pass alone (keyword windows, no regex), and the same
    // keywords through aho-corasick's own overlapping iterator, which the
    // four-lane search replaced.
    let rules = detector.rules();
    let prefilter = Prefilter::new(rules);
    let sizes: Vec<WindowSize> = rules.rules.iter().map(WindowSize::of).collect();
    let mut windows = WindowScratch::default();
    group.bench_function("keyword-pass-4MiB", |b| {
        b.iter(|| prefilter.windows(&input, &sizes, &mut windows))
    });
    let mut keywords: Vec<String> = rules
        .rules
        .iter()
        .flat_map(|r| r.keywords.iter().map(|k| k.to_ascii_lowercase()))
        .collect();
    keywords.sort();
    keywords.dedup();
    let iterator = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(AhoCorasickKind::DFA))
        .build(&keywords)
        .expect("keywords are literals");
    group.bench_function("aho-corasick-iterator-4MiB", |b| {
        b.iter(|| iterator.find_overlapping_iter(&input).count())
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
