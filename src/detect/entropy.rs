//! Shannon entropy of a byte string, in bits per byte (0.0 ..= 8.0).

/// Returns the Shannon entropy of `bytes`; 0.0 for an empty slice.
///
/// ```
/// assert_eq!(keygate::detect::shannon_entropy(b"aaaa"), 0.0);
/// assert!((keygate::detect::shannon_entropy(b"ab") - 1.0).abs() < 1e-9);
/// ```
pub fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_alphabet_has_log2_entropy() {
        let all: Vec<u8> = (0..=255).collect();
        assert!((shannon_entropy(&all) - 8.0).abs() < 1e-9);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
    }

    #[test]
    fn random_looking_key_beats_placeholder() {
        assert!(shannon_entropy(b"wkEJ3PEVVIPcP4Y7p4tD14z4gzM+jppZxO4z7Kdc") > 4.0);
        assert!(shannon_entropy(b"XXXXXXXXXXXXXXXXXXXX") < 0.5);
    }
}
