//! Offline decoding of the AWS account id embedded in an access key id.
//!
//! A modern key id is a 4-character prefix (`AKIA`, `ASIA`, …) followed by 16
//! base32 characters (`A-Z2-7`, 80 bits). Bits 1..=40 of the decoded bytes
//! (counting from the most significant bit of the first byte) hold the
//! account number. Keys whose fifth character is `I` or `J` use an older
//! format that does not embed the account.
//!
//! Decoding never touches the network and never needs the secret.

/// Length of an access key id: 4-character prefix + 16 base32 characters.
const KEY_ID_LEN: usize = 20;

/// Largest 12-digit account number.
const MAX_ACCOUNT: u64 = 999_999_999_999;

/// Returns the 12-digit account id encoded in `key_id`, or `None` if the id is
/// not a 20-character key id with a base32 body, uses the old format (fifth
/// character `I` or `J`), or encodes a number too large to be an account.
///
/// The result is always exactly 12 ASCII digits, zero-padded.
///
/// ```
/// use keygate::verify::aws_account_id;
/// assert_eq!(aws_account_id("ASIAY34FZKBOKMUTVV7A").as_deref(), Some("609629065308"));
/// assert_eq!(aws_account_id("AKIAIOSFODNN7EXAMPLE"), None);
/// ```
pub fn aws_account_id(key_id: &str) -> Option<String> {
    let bytes = key_id.as_bytes();
    if bytes.len() != KEY_ID_LEN || !bytes[..4].iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    if matches!(bytes[4], b'I' | b'J') {
        return None;
    }
    // The first 10 body characters carry 50 bits; the first 48 of them are
    // the first 6 decoded bytes. The remaining 6 characters must still be
    // valid base32 for the id to be well formed.
    let mut bits: u64 = 0;
    for (i, &c) in bytes[4..].iter().enumerate() {
        let v = base32_value(c)?;
        if i < 10 {
            bits = (bits << 5) | u64::from(v);
        }
    }
    let first_six_bytes = bits >> 2;
    let account = (first_six_bytes & 0x7fff_ffff_ff80) >> 7;
    // 40 bits can exceed 12 decimal digits; no real account does.
    (account <= MAX_ACCOUNT).then(|| format!("{account:012}"))
}

/// Value of one RFC 4648 base32 character (upper case only).
fn base32_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'2'..=b'7' => Some(c - b'2' + 26),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a well-formed key id whose embedded account is `account`
    /// (inverse of [`aws_account_id`]; the unused bits are filled with `A`).
    pub(crate) fn key_id_for_account(prefix: &str, account: u64) -> String {
        assert_eq!(prefix.len(), 4);
        assert!(account < 1 << 40);
        const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        // 50 bits = 10 characters: the 48-bit field, then 2 zero bits. The
        // top bit is set (as in many real ids) so the fifth character is
        // never the old-format `I`/`J`.
        let bits = ((1 << 47) | (account << 7)) << 2;
        let mut id = String::from(prefix);
        for i in (0..10).rev() {
            id.push(ALPHABET[((bits >> (5 * i)) & 31) as usize] as char);
        }
        id.push_str("AAAAAA");
        id
    }

    #[test]
    fn decodes_published_examples() {
        // Tal Beery, "A short note on AWS KEY ID" (also Aidan Steele's post).
        assert_eq!(
            aws_account_id("ASIAY34FZKBOKMUTVV7A").as_deref(),
            Some("609629065308")
        );
        // The canarytokens.org key from trufflehog's README demo output
        // ("Account: 052310077262"); the leading zero is kept.
        assert_eq!(
            aws_account_id("AKIAQYLPMN5HHHFPZAM2").as_deref(),
            Some("052310077262")
        );
        assert_eq!(
            aws_account_id("ASIAQNZGKIQY56JQ7WML").as_deref(),
            Some("029608264753")
        );
    }

    #[test]
    fn old_format_keys_have_no_account() {
        assert_eq!(aws_account_id("AKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(aws_account_id("AKIAJ2345672345672AB"), None);
    }

    #[test]
    fn malformed_ids_have_no_account() {
        assert_eq!(aws_account_id(""), None);
        assert_eq!(aws_account_id("AKIA"), None);
        assert_eq!(aws_account_id("AKIAY34FZKBOKMUTVV7"), None); // 19 chars
        assert_eq!(aws_account_id("AKIAY34FZKBOKMUTVV7AA"), None); // 21 chars
        assert_eq!(aws_account_id("AKIAY34FZKBOKMUTVV1A"), None); // '1' is not base32
        assert_eq!(aws_account_id("AKIAy34FZKBOKMUTVV7A"), None); // lower case
        assert_eq!(aws_account_id("AKIAY34FZKBOKMUTVVé"), None); // non-ASCII
    }

    #[test]
    fn all_zero_and_all_one_bodies() {
        assert_eq!(
            aws_account_id("AKIAAAAAAAAAAAAAAAAA").as_deref(),
            Some("000000000000")
        );
        assert_eq!(
            aws_account_id("AKIAZZZZZZZZZZZZZZZZ").as_deref(),
            Some("673894223475")
        );
    }

    #[test]
    fn numbers_beyond_twelve_digits_are_rejected() {
        assert_eq!(
            aws_account_id(&key_id_for_account("AKIA", 1_000_000_000_000)),
            None
        );
        assert_eq!(
            aws_account_id(&key_id_for_account("AKIA", (1 << 40) - 1)),
            None
        );
    }

    #[test]
    fn encoder_round_trips() {
        for account in [0, 1, 52310077262, 123456789012, 609629065308, 999999999999] {
            let id = key_id_for_account("AKIA", account);
            assert_eq!(aws_account_id(&id), Some(format!("{account:012}")), "{id}");
        }
    }
}
