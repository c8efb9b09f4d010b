//! Rule files: arbitrary text through `RuleSet::add_file`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| keygate::fuzzing::rules(data));
