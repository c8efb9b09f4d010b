use super::*;
use crate::rules::RuleSet;

fn detector(toml: &str) -> Detector {
    let mut set = RuleSet::default();
    set.add_file("test.toml", toml).unwrap();
    Detector::new(set)
}

fn secrets(d: &Detector, hay: &[u8]) -> Vec<(String, usize, usize)> {
    d.detect(hay, None, &mut Scratch::default())
        .into_iter()
        .map(|m| {
            (
                String::from_utf8_lossy(&hay[m.start..m.end]).into_owned(),
                m.line,
                m.column,
            )
        })
        .collect()
}

const KEY_RULE: &str = r#"
[[rule]]
id = "k"
description = "test key"
keywords = ["tok_"]
regex = '''\b(tok_[a-z0-9]{8})\b'''
"#;

#[test]
fn finds_secret_at_start_and_end_of_buffer() {
    let d = detector(KEY_RULE);
    assert_eq!(
        secrets(&d, b"tok_abcd1234"),
        vec![("tok_abcd1234".into(), 1, 1)]
    );
    assert_eq!(
        secrets(&d, b"x\ny = tok_abcd1234"),
        vec![("tok_abcd1234".into(), 2, 5)]
    );
}

#[test]
fn lines_and_columns_of_many_matches() {
    let d = detector(KEY_RULE);
    let hay = b"tok_aaaa1111 tok_bbbb2222\n\n\n  tok_cccc3333\nx\ny tok_dddd4444 tok_eeee5555";
    let at: Vec<_> = secrets(&d, hay)
        .into_iter()
        .map(|(_, l, c)| (l, c))
        .collect();
    assert_eq!(at, vec![(1, 1), (1, 14), (4, 3), (6, 3), (6, 16)]);
}

#[test]
fn crlf_and_non_utf8_input() {
    let d = detector(KEY_RULE);
    let hay = b"\xff\xfe junk\r\nkey: tok_abcd1234\r\nmore\xc3\x28\r\n";
    assert_eq!(secrets(&d, hay), vec![("tok_abcd1234".into(), 2, 6)]);
}

#[test]
fn keyword_match_is_case_insensitive_but_regex_decides() {
    let d = detector(KEY_RULE);
    assert!(secrets(&d, b"TOK_abcd1234").is_empty());
}

#[test]
fn allow_marker_suppresses_only_its_line() {
    let d = detector(KEY_RULE);
    let hay = b"a = tok_abcd1234 # keygate:allow\nb = tok_zzzz9999\n";
    assert_eq!(secrets(&d, hay), vec![("tok_zzzz9999".into(), 2, 5)]);
}

#[test]
fn gitleaks_marker_and_next_line_marker() {
    let d = detector(KEY_RULE);
    let hay = b"a = tok_abcd1234 // gitleaks:allow\n\
# keygate:allow-next-line\r\n\
b = tok_bbbb1234\n\
c = tok_cccc1234\n";
    assert_eq!(secrets(&d, hay), vec![("tok_cccc1234".into(), 4, 5)]);
    // The marker covers one line only, and a first line has no line before.
    let hay = b"b = tok_bbbb1234\n# keygate:allow-next-line\n\nc = tok_cccc1234";
    assert_eq!(secrets(&d, hay).len(), 2);
}

#[test]
fn detect_secrets_markers_are_honoured() {
    let d = detector(KEY_RULE);
    let hay = b"a = tok_abcd1234  # pragma: allowlist secret\n\
# pragma: allowlist nextline secret\n\
b = tok_bbbb1234\n\
c = tok_cccc1234\n";
    assert_eq!(secrets(&d, hay), vec![("tok_cccc1234".into(), 4, 5)]);
}

#[test]
fn path_restricted_rules_run_only_on_matching_paths() {
    let mut set = RuleSet::default();
    set.add_file("test.toml", KEY_RULE).unwrap();
    set.rules[0].path = Some(crate::rules::compile_regex(r"\.env$").unwrap());
    let d = Detector::new(set);
    let found = |path| d.detect(b"k = tok_abcd1234", path, &mut Scratch::default());
    assert_eq!(found(Some("app/.env")).len(), 1);
    assert!(found(Some("app/main.rs")).is_empty());
    assert!(found(None).is_empty());
}

#[test]
fn global_path_allowlist_skips_the_whole_buffer() {
    let d = detector(&format!("[allowlist]\npaths = [\"fixtures/\"]\n{KEY_RULE}"));
    let found = |path| d.detect(b"k = tok_abcd1234", path, &mut Scratch::default());
    assert!(found(Some("tests/fixtures/a.txt")).is_empty());
    assert_eq!(found(Some("src/a.txt")).len(), 1);
}

#[test]
fn word_boundary_sees_bytes_before_window() {
    // The window starts MAX_BACK bytes before the keyword on a long line; the
    // regex must still see that `tok_` is glued to a preceding word.
    let d = detector(KEY_RULE);
    let mut hay = vec![b'a'; 4000];
    hay.extend_from_slice(b"tok_abcd1234");
    assert!(secrets(&d, &hay).is_empty());
    hay.insert(4000, b' ');
    assert_eq!(secrets(&d, &hay).len(), 1);
}

#[test]
fn entropy_floor_and_allowlists() {
    let d = detector(
        r#"
[allowlist]
stopwords = ["example"]

[[rule]]
id = "k"
description = "test key"
keywords = ["tok_"]
regex = '''\b(tok_[a-z0-9]{8,20})\b'''
min_entropy = 2.5
[rule.allowlist]
regexes = ['''^tok_0+$''']
"#,
    );
    assert!(secrets(&d, b"tok_aaaaaaaa").is_empty(), "low entropy");
    assert!(secrets(&d, b"tok_00000000").is_empty(), "rule allowlist");
    assert!(secrets(&d, b"tok_example12").is_empty(), "global stopword");
    assert_eq!(secrets(&d, b"tok_a8f3k2m9").len(), 1);
}

#[test]
fn context_is_required_near_the_secret() {
    let d = detector(
        r#"
[[rule]]
id = "k"
description = "needs context"
keywords = ["secret"]
regex = '''secret\s*=\s*([a-z0-9]{8})'''
[rule.context]
regex = "aws"
distance = 64
"#,
    );
    assert!(secrets(&d, b"secret = a8f3k2m9").is_empty());
    assert_eq!(secrets(&d, b"[aws]\nsecret = a8f3k2m9").len(), 1);
}

#[test]
fn fallback_rule_yields_to_specific_rule() {
    let d = detector(
        r#"
[[rule]]
id = "generic"
description = "generic"
keywords = ["token"]
regex = '''token\s*=\s*(\S+)'''
fallback = true

[[rule]]
id = "k"
description = "test key"
keywords = ["tok_"]
regex = '''\b(tok_[a-z0-9]{8})\b'''
"#,
    );
    let found = d.detect(b"token = tok_abcd1234", None, &mut Scratch::default());
    assert_eq!(found.len(), 1);
    assert_eq!(d.rules().rules[found[0].rule].id, "k");
    let found = d.detect(b"token = zzz", None, &mut Scratch::default());
    assert_eq!(found.len(), 1);
}

#[test]
fn many_hits_of_one_rule_are_each_reported_once() {
    let d = detector(KEY_RULE);
    let mut hay = Vec::new();
    for i in 0..100 {
        hay.extend_from_slice(format!("k{i} = tok_{i:08}\n").as_bytes());
    }
    let found = secrets(&d, &hay);
    assert_eq!(found.len(), 100);
    assert_eq!(found[99], ("tok_00000099".into(), 100, 7));
}

/// Every built-in rule matches its examples and none of its counterexamples.
#[test]
fn builtin_rules_pass_their_own_examples() {
    let d = Detector::builtin().unwrap();
    let mut failures = Vec::new();
    for (i, rule) in d.rules().rules.iter().enumerate() {
        assert!(
            !rule.keywords.is_empty(),
            "rule {} has no keyword: every built-in rule must be prefiltered",
            rule.id
        );
        assert!(
            !rule.examples.is_empty(),
            "rule {} has no examples",
            rule.id
        );
        for ex in &rule.examples {
            let found = d.detect(ex.as_bytes(), None, &mut Scratch::default());
            if !found.iter().any(|m| m.rule == i) {
                failures.push(format!("{}: example not found: {ex:?}", rule.id));
            }
        }
        for ex in &rule.counterexamples {
            let found = d.detect(ex.as_bytes(), None, &mut Scratch::default());
            if found.iter().any(|m| m.rule == i) {
                failures.push(format!("{}: counterexample matched: {ex:?}", rule.id));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn regions_limit_the_search_to_windows_that_overlap_them() {
    let d = detector(KEY_RULE);
    // Lines far enough apart for each keyword window to stand alone.
    let pad = "#\n".repeat(1000);
    let hay = format!("a = tok_aaaa1111\n{pad}b = tok_bbbb2222\n{pad}c = tok_cccc3333\n");
    let line = |n: usize| {
        let start = hay.match_indices('=').nth(n).unwrap().0;
        start..start + 14
    };
    let found = |regions: &[std::ops::Range<usize>]| {
        let m = d.detect_in(hay.as_bytes(), None, Some(regions), &mut Scratch::default());
        m.iter().map(|m| m.line).collect::<Vec<_>>()
    };
    assert_eq!(found(&[line(1)]), vec![1002]);
    assert_eq!(found(&[line(0), line(2)]), vec![1, 2003]);
    assert!(found(&[]).is_empty());
}

#[test]
fn a_match_cut_by_its_window_is_searched_again_to_the_line_end() {
    let d = detector(
        r#"
[[rule]]
id = "long"
description = "long token"
keywords = ["lt_"]
regex = '''\b(lt_[a-z0-9]{8,})'''
window = 16
"#,
    );
    let token = format!("lt_{}", "a1".repeat(3000));
    let hay = format!("x = 1\nk = {token}\ny = 2\n");
    assert_eq!(secrets(&d, hay.as_bytes()), vec![(token, 2, 5)]);
}
