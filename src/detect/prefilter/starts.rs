//! Every occurrence of every keyword, found by a SIMD filter over the
//! offsets where one may start and a comparison at the offsets it passes.
//!
//! Invariant: [`StartFilter::for_each_hit`] reports every occurrence of
//! every keyword (ignoring ASCII case), once, in order of offset.
//!
//! The filter is a shift-or over keyword prefixes. Keywords are put in 32
//! buckets; `tables[j][b & 0x7f]` has bit `k` clear if some keyword of
//! bucket `k` has byte `b` at offset `j` of its first [`PREFIX`] bytes (or is
//! shorter than `j + 1` bytes). An offset `i` is a candidate if some bucket's
//! bit is clear in `tables[0][hay[i]] | ... | tables[3][hay[i + 3]]`. The
//! four loads per offset do not depend on each other, unlike the steps of an
//! automaton, and with AVX-512 VBMI one `vpermb` looks up 64 offsets at once
//! in a 64-entry table, indexed by six bits of each byte ([`index6`]); the
//! first filter's tables give aliased bytes the same entry, so the SIMD and
//! the scalar search agree. (`vpermi2b` on seven bits, with 128 entries,
//! takes three micro-ops to `vpermb`'s one on Intel cores.)
//!
//! Each offset the SIMD filter lets through is checked again, one offset at a
//! time, by a second shift-or over 8 bytes and 64 buckets (1.5% of the
//! offsets of 23 MB of crate sources pass the first, 0.35% both), and the
//! keywords of each bucket that passes are compared with the input there,
//! eight bytes at a time. (Walking an anchored Aho-Corasick DFA from the
//! offset instead took as long, and the DFA took milliseconds to build.)
//!
//! Bytes past the end of the input read as NUL, which no keyword holds, so a
//! keyword ending at the last byte is still a candidate. Bytes are looked up
//! by their low seven bits (the first filter: six): a non-ASCII byte may
//! alias an ASCII one, which adds candidates but never loses one.

/// Keyword bytes the SIMD filter looks at, and its number of buckets.
const PREFIX: usize = 4;
const BUCKETS: usize = 32;
/// The same for the check of each offset the SIMD filter lets through: one
/// offset at a time, so it can afford twice the bytes and buckets.
const CONFIRM_PREFIX: usize = 8;
const CONFIRM_BUCKETS: usize = 64;

/// Occurrences per 100,000 bytes of each ASCII byte in 23 MB of the crate
/// sources under `~/.cargo/registry/src` (Rust, TOML, Markdown, JSON,
/// YAML). Only used to put keywords whose bytes are rare together.
const BYTE_FREQUENCY: [u16; 128] = [
    0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 2972, 0, 0, 51, 0, 0, //
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
    23138, 253, 626, 229, 80, 4, 258, 133, 1360, 1361, 129, 44, 1472, 405, 1052, 2122, //
    867, 480, 316, 233, 184, 151, 205, 83, 169, 106, 1702, 610, 260, 512, 439, 28, //
    7, 290, 158, 283, 208, 357, 179, 81, 93, 311, 25, 62, 136, 165, 188, 250, //
    204, 7, 252, 487, 366, 118, 103, 60, 38, 31, 21, 320, 46, 318, 4, 1573, //
    498, 3513, 1009, 1969, 1606, 6316, 1543, 845, 1233, 3147, 70, 327, 2379, 1429, 3240,
    2950, //
    1537, 163, 3659, 3448, 4901, 2024, 446, 535, 583, 612, 149, 407, 87, 406, 2, 0, //
];

/// Shift-or tables over the first `N` bytes of keywords: see the module
/// documentation.
#[derive(Debug, Clone)]
struct ShiftOr<const N: usize> {
    /// `tables[j][b]`: bit `k` clear if bucket `k` accepts byte `b` (its low
    /// seven bits) at offset `j`. Bits of unused buckets are set.
    tables: [[u64; 128]; N],
}

impl<const N: usize> ShiftOr<N> {
    /// Tables for `buckets` (from [`assign`]) of `keywords`.
    fn new<K: AsRef<[u8]>>(keywords: &[K], buckets: &[Vec<usize>]) -> ShiftOr<N> {
        let mut tables = [[u64::MAX; 128]; N];
        for (bucket, members) in buckets.iter().enumerate() {
            let bit = !(1 << bucket);
            for k in members.iter().map(|&p| keywords[p].as_ref()) {
                for (j, table) in tables.iter_mut().enumerate() {
                    match k.get(j) {
                        Some(&b) => {
                            table[usize::from(b.to_ascii_lowercase() & 0x7f)] &= bit;
                            table[usize::from(b.to_ascii_uppercase() & 0x7f)] &= bit;
                        }
                        None => table.iter_mut().for_each(|e| *e &= bit),
                    }
                }
            }
        }
        ShiftOr { tables }
    }

    /// Bit `k` clear if bucket `k` accepts each of the `N` bytes from
    /// offset `i` on (NUL past the end).
    #[inline]
    fn mask(&self, hay: &[u8], i: usize) -> u64 {
        let mut m = 0;
        for (j, table) in self.tables.iter().enumerate() {
            m |= table[usize::from(hay.get(i + j).map_or(0, |&b| b & 0x7f))];
        }
        m
    }

    /// True if offset `i` passes: some bucket accepts its next `N` bytes.
    #[inline]
    fn passes(&self, hay: &[u8], i: usize) -> bool {
        self.mask(hay, i) != u64::MAX
    }
}

#[derive(Debug, Clone)]
pub struct StartFilter {
    first: ShiftOr<PREFIX>,
    confirm: ShiftOr<CONFIRM_PREFIX>,
    /// `first`'s tables cut into bytes, as `vpermb` wants them:
    /// `planes[j][g][index6(b)]` is byte `g` of `first.tables[j][b]`.
    planes: [[[u8; 64]; BUCKETS / 8]; PREFIX],
    /// The keywords of each of `confirm`'s buckets.
    members: Vec<Vec<Keyword>>,
}

/// A keyword, ready to be compared with the input at an offset.
#[derive(Debug, Clone)]
struct Keyword {
    /// Index of the keyword in the list the filter was built from.
    pattern: usize,
    /// The keyword in lowercase.
    bytes: Box<[u8]>,
    /// Its first eight bytes (fewer if shorter, then zero) as a
    /// little-endian word.
    head: u64,
    /// 0x20 in each byte of `head` that is a letter: ORed into the input,
    /// it folds the input's case there and nowhere else.
    fold: u64,
    /// 0xff in each byte of `head` that the keyword has.
    mask: u64,
}

impl Keyword {
    fn new(pattern: usize, keyword: &[u8]) -> Keyword {
        let bytes: Box<[u8]> = keyword.to_ascii_lowercase().into();
        let (mut head, mut fold, mut mask) = ([0u8; 8], [0u8; 8], [0u8; 8]);
        for (j, &b) in bytes.iter().take(8).enumerate() {
            head[j] = b;
            fold[j] = if b.is_ascii_lowercase() { 0x20 } else { 0 };
            mask[j] = 0xff;
        }
        Keyword {
            pattern,
            bytes,
            head: u64::from_le_bytes(head),
            fold: u64::from_le_bytes(fold),
            mask: u64::from_le_bytes(mask),
        }
    }

    /// True if the keyword occurs at `hay[i..]`, ignoring ASCII case;
    /// `word` is `hay[i..i + 8]` as a little-endian word, if `hay` has
    /// that many bytes there.
    #[inline]
    fn is_at(&self, hay: &[u8], i: usize, word: Option<u64>) -> bool {
        match word {
            Some(w) => {
                (w | self.fold) & self.mask == self.head
                    && (self.bytes.len() <= 8
                        || hay
                            .get(i + 8..i + self.bytes.len())
                            .is_some_and(|rest| rest.eq_ignore_ascii_case(&self.bytes[8..])))
            }
            None => hay
                .get(i..i + self.bytes.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(&self.bytes)),
        }
    }
}

impl StartFilter {
    /// A filter for `keywords` (non-empty byte strings, no two equal
    /// ignoring ASCII case); hits name a keyword by its index here.
    pub fn new<K: AsRef<[u8]>>(keywords: &[K]) -> StartFilter {
        let mut first = ShiftOr::new(keywords, &assign::<PREFIX, K>(keywords, BUCKETS));
        // The SIMD search tells apart only 64 byte values (see `index6`):
        // a byte passes wherever its alias does.
        for table in &mut first.tables {
            let merged: [u64; 128] = std::array::from_fn(|b| table[b] & table[b ^ 0x20]);
            *table = merged;
        }
        let mut planes = [[[0u8; 64]; BUCKETS / 8]; PREFIX];
        for (j, table) in first.tables.iter().enumerate() {
            for (g, plane) in planes[j].iter_mut().enumerate() {
                for (b, &entry) in table.iter().enumerate() {
                    plane[usize::from(index6(b as u8))] = (entry >> (8 * g)) as u8;
                }
            }
        }
        let buckets = assign::<CONFIRM_PREFIX, K>(keywords, CONFIRM_BUCKETS);
        let confirm = ShiftOr::new(keywords, &buckets);
        let members = buckets
            .into_iter()
            .map(|bucket| {
                bucket
                    .into_iter()
                    .map(|p| Keyword::new(p, keywords[p].as_ref()))
                    .collect()
            })
            .collect();
        StartFilter {
            first,
            confirm,
            planes,
            members,
        }
    }

    /// Calls `hit(pattern, start, end)` for every occurrence of every
    /// keyword in `hay`, in order of `start` (several keywords starting at
    /// one offset come in no particular order).
    pub fn for_each_hit(&self, hay: &[u8], mut hit: impl FnMut(usize, usize, usize)) {
        self.for_each_candidate(hay, |i| {
            // Bit k is set if bucket k may have a keyword at `i`.
            let mut buckets = !self.confirm.mask(hay, i);
            if buckets == 0 {
                return;
            }
            let word = hay
                .get(i..i + 8)
                .map(|w| u64::from_le_bytes(w.try_into().expect("8 bytes")));
            while buckets != 0 {
                let k = buckets.trailing_zeros() as usize;
                buckets &= buckets - 1;
                for kw in &self.members[k] {
                    if kw.is_at(hay, i, word) {
                        hit(kw.pattern, i, i + kw.bytes.len());
                    }
                }
            }
        });
    }

    /// Calls `candidate(i)` for every offset `i` of `hay` that passes the
    /// first filter, in increasing order.
    fn for_each_candidate(&self, hay: &[u8], mut candidate: impl FnMut(usize)) {
        #[cfg(target_arch = "x86_64")]
        let from = match supported() {
            // SAFETY: the CPU has the features `search_avx512` is built for.
            true => unsafe { self.search_avx512(hay, &mut candidate) },
            false => 0,
        };
        #[cfg(not(target_arch = "x86_64"))]
        let from = 0;
        self.search_scalar(hay, from, &mut candidate);
    }

    /// The first filter one offset at a time, from offset `from` on.
    fn search_scalar(&self, hay: &[u8], from: usize, candidate: &mut impl FnMut(usize)) {
        let body = hay.len().saturating_sub(PREFIX - 1).max(from);
        let t = &self.first.tables;
        for (i, w) in (from..).zip(hay[from.min(hay.len())..].windows(PREFIX)) {
            let m = (0..PREFIX).fold(0, |m, j| m | t[j][usize::from(w[j] & 0x7f)]);
            if m != u64::MAX {
                candidate(i);
            }
        }
        for i in body..hay.len() {
            if self.first.passes(hay, i) {
                candidate(i);
            }
        }
    }

    /// The first filter 64 offsets at a time, while the four loads of a block stay
    /// inside `hay`; returns the first offset not searched.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    unsafe fn search_avx512(&self, hay: &[u8], candidate: &mut impl FnMut(usize)) -> usize {
        use std::arch::x86_64::*;
        const BLOCK: usize = 64;
        let load = |p: *const u8| unsafe { _mm512_loadu_si512(p.cast()) };
        // By bucket group, then prefix offset.
        let planes: [[__m512i; PREFIX]; BUCKETS / 8] =
            std::array::from_fn(|g| std::array::from_fn(|j| load(self.planes[j][g].as_ptr())));
        let ones = _mm512_set1_epi8(-1);
        let low5 = _mm512_set1_epi8(0x1f);
        // `index6` of each byte, in its low six bits: bits 0-4 where `low5`
        // is set, else the byte shifted right by one (bit 6 into bit 5).
        let index6 =
            |v: __m512i| _mm512_ternarylogic_epi32::<0xe4>(v, _mm512_srli_epi16::<1>(v), low5);
        let mut i = 0;
        while i + BLOCK + PREFIX - 1 <= hay.len() {
            // SAFETY: bytes i..i + BLOCK + PREFIX - 1 are inside `hay`.
            let x: [__m512i; PREFIX] =
                std::array::from_fn(|j| index6(load(unsafe { hay.as_ptr().add(i + j) })));
            let mut all = ones;
            for group in &planes {
                let bits = x
                    .iter()
                    .zip(group)
                    .fold(_mm512_setzero_si512(), |m, (&x, &plane)| {
                        _mm512_or_si512(m, _mm512_permutexvar_epi8(x, plane))
                    });
                all = _mm512_and_si512(all, bits);
            }
            let mut found = _mm512_cmpneq_epi8_mask(all, ones);
            while found != 0 {
                candidate(i + found.trailing_zeros() as usize);
                found &= found - 1;
            }
            i += BLOCK;
        }
        i
    }
}

/// The six bits of byte `b` that the SIMD search looks at: bits 0-4, and
/// bit 6 as bit 5. Bit 5 is the one that ASCII case flips, and bit 7 is
/// clear in ASCII, so this folds case and keeps apart every pair of printable
/// ASCII bytes that differ otherwise. What it does merge: a control byte with
/// the printable byte 0x20 above it (tab with `)`, line feed with `*`), `@`
/// with `` ` ``, `[` with `{`, `\` with `|`, `]` with `}`, `^` with `~` and
/// `_` with DEL, and a non-ASCII byte with its low seven bits.
fn index6(b: u8) -> u8 {
    (b & 0x1f) | ((b >> 1) & 0x20)
}

/// True if this CPU runs the SIMD search. The scalar one alone is slower
/// than an automaton over every byte, so callers without it should use that.
pub fn supported() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512vbmi")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Splits `keywords` into at most `buckets` groups (of indices into
/// `keywords`) whose `N`-byte prefixes are rarely all matched by accident. Greedy: each keyword, shortest first, goes
/// where it adds least to the chance that some group's prefix bytes all
/// occur by accident, that chance being estimated from [`BYTE_FREQUENCY`] as
/// if bytes were independent.
fn assign<const N: usize, K: AsRef<[u8]>>(keywords: &[K], buckets: usize) -> Vec<Vec<usize>> {
    let total: f64 = BYTE_FREQUENCY.iter().map(|&f| f64::from(f) + 1.0).sum();
    // Chance that a byte of text is `b`, either case, for lowercase `b`.
    let p: [f64; 128] = std::array::from_fn(|b| {
        let f = |b: u8| f64::from(BYTE_FREQUENCY[usize::from(b)]) + 1.0;
        let b = b as u8;
        match b.is_ascii_lowercase() {
            true => (f(b) + f(b.to_ascii_uppercase())) / total,
            false => f(b) / total,
        }
    });
    let mut sorted: Vec<usize> = (0..keywords.len()).collect();
    sorted.sort_by_key(|&i| (keywords[i].as_ref().len().min(N), keywords[i].as_ref()));
    let mut accepts: Vec<Accepts<N>> = Vec::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    for index in sorted {
        let k = keywords[index].as_ref();
        if accepts.len() < buckets {
            accepts.push(Accepts::NONE);
            members.push(Vec::new());
        }
        let cost = |a: &Accepts<N>| a.with(k, &p).chance() - a.chance();
        let best = (0..accepts.len())
            .min_by(|&x, &y| cost(&accepts[x]).total_cmp(&cost(&accepts[y])))
            .expect("there is at least one bucket");
        accepts[best] = accepts[best].with(k, &p);
        members[best].push(index);
        if accepts.last() == Some(&Accepts::NONE) {
            accepts.pop();
            members.pop();
        }
    }
    members
}

/// What a bucket accepts at each prefix offset: a set of lowercase ASCII
/// bytes (bit per byte; all bits once a shorter keyword accepts any byte)
/// and the chance that a byte of text is in it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Accepts<const N: usize> {
    sets: [u128; N],
    chances: [f64; N],
}

impl<const N: usize> Accepts<N> {
    const NONE: Accepts<N> = Accepts {
        sets: [0; N],
        chances: [0.0; N],
    };

    /// These sets plus keyword `k`; `p[b]` is the chance of byte `b`.
    fn with(mut self, k: &[u8], p: &[f64; 128]) -> Accepts<N> {
        for j in 0..N {
            match k.get(j) {
                None => (self.sets[j], self.chances[j]) = (u128::MAX, 1.0),
                Some(&b) => {
                    let b = b.to_ascii_lowercase() & 0x7f;
                    if self.sets[j] >> b & 1 == 0 {
                        self.sets[j] |= 1 << b;
                        self.chances[j] += p[usize::from(b)];
                    }
                }
            }
        }
        self
    }

    /// The chance, bytes taken as independent, that text passes the bucket.
    fn chance(&self) -> f64 {
        self.chances.iter().map(|c| c.min(1.0)).product()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Offsets passing the first filter.
    fn candidates(filter: &StartFilter, hay: &[u8]) -> Vec<usize> {
        let mut out = Vec::new();
        filter.for_each_candidate(hay, |i| out.push(i));
        out
    }

    fn hits(filter: &StartFilter, hay: &[u8]) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        filter.for_each_hit(hay, |p, s, e| out.push((s, p, e)));
        assert!(out.windows(2).all(|w| w[0].0 <= w[1].0), "in order");
        out.sort();
        out
    }

    /// Every occurrence of every keyword as `(start, pattern, end)`.
    fn true_hits(keywords: &[&str], hay: &[u8]) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        for i in 0..hay.len() {
            for (p, k) in keywords.iter().enumerate() {
                let end = i + k.len();
                if end <= hay.len() && hay[i..end].eq_ignore_ascii_case(k.as_bytes()) {
                    out.push((i, p, end));
                }
            }
        }
        out
    }

    #[test]
    fn every_keyword_is_found_at_every_offset_and_length() {
        let keywords = [
            "secret",
            "q~",
            "://",
            "x",
            "AKIA",
            "password",
            "aws_secret_key",
        ];
        let filter = StartFilter::new(&keywords);
        for n in 0..200 {
            for at in 0..n {
                for k in keywords {
                    let mut hay = vec![b'.'; n];
                    let end = (at + k.len()).min(n);
                    hay[at..end].copy_from_slice(&k.as_bytes()[..end - at]);
                    let want = true_hits(&keywords, &hay);
                    assert_eq!(hits(&filter, &hay), want, "{k} at {at} of {n}");
                }
            }
        }
    }

    /// The SIMD search and the first filter checked one offset at a time
    /// agree, offset for offset, and the hits are exactly the keywords'
    /// occurrences, on text dense with keyword fragments, in either case and
    /// with non-ASCII bytes and bytes that fold onto letters (`@`, `[`).
    #[test]
    fn searches_agree_and_find_exactly_the_keywords() {
        let keywords = [
            "secret",
            "aws_secret",
            "ghp_",
            "password",
            "://",
            "eyj",
            "AIza",
            "sk-ant-api",
            "ConvertTo-SecureString",
        ];
        let filter = StartFilter::new(&keywords);
        let mut hay = Vec::new();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        while hay.len() < 20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let k = keywords[(x % keywords.len() as u64) as usize].as_bytes();
            let cut = match x >> 60 {
                0..8 => k.len(),
                _ => (x >> 8) as usize % (k.len() + 1),
            };
            for (j, &b) in k[..cut].iter().enumerate() {
                hay.push(match x >> (20 + j % 40) & 15 {
                    0 | 1 => b.to_ascii_uppercase(),
                    2 if b.is_ascii_alphabetic() => b ^ 0x20 ^ 0x80,
                    3 if b.is_ascii_alphabetic() => (b & !0x20) - 1,
                    _ => b,
                });
            }
            hay.push([b' ', b'=', 0xc3, b'_', b'@', b'['][(x >> 30) as usize % 6]);
        }
        let scalar: Vec<usize> = (0..hay.len())
            .filter(|&i| filter.first.passes(&hay, i))
            .collect();
        assert_eq!(candidates(&filter, &hay), scalar);
        let want = true_hits(&keywords, &hay);
        assert!(want.len() > 500, "{} hits", want.len());
        assert_eq!(hits(&filter, &hay), want);
    }

    #[test]
    fn plain_text_gives_few_candidates() {
        let filter = StartFilter::new(&["secret", "password", "ghp_", "akia", "://"]);
        let text = include_str!("mod.rs").as_bytes();
        let n = candidates(&filter, text)
            .into_iter()
            .filter(|&i| filter.confirm.passes(text, i))
            .count();
        assert!(
            n < text.len() / 50,
            "{n} candidates in {} bytes",
            text.len()
        );
    }
}
