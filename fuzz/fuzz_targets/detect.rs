//! The detection engine on arbitrary bytes, as a file's contents reach it
//! (`text_view` first, so UTF-16 transcoding is fuzzed too).
#![no_main]

use keygate::detect::{Detector, Scratch};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fuzz_target!(|data: &[u8]| {
    static D: OnceLock<Detector> = OnceLock::new();
    let d = D.get_or_init(|| Detector::builtin().unwrap());
    keygate::fuzzing::detect(d, data, &mut Scratch::default());
});
