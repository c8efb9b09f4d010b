//! Canary detection: AWS accounts whose keys exist only to raise an alarm.
//!
//! A canary key is recognised offline from the account its key id encodes
//! (see [`aws_account_id`]). Canary keys are never sent to STS: calling any
//! AWS API with one would alert whoever planted it.

use std::collections::HashSet;
use std::fmt;

use serde::Deserialize;

use super::account::aws_account_id;

/// The built-in list (`rules/data/canary-accounts.toml`).
const BUILTIN: &str = include_str!("../../rules/data/canary-accounts.toml");

/// A set of AWS account ids (always 12 ASCII digits) that issue canary keys.
#[derive(Debug, Clone)]
pub struct Canaries {
    accounts: HashSet<String>,
}

/// An account id given to [`Canaries::with_extra`] that is not 12 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidAccountId(pub String);

impl fmt::Display for InvalidAccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid AWS account id {:?}: expected exactly 12 digits",
            self.0
        )
    }
}

impl std::error::Error for InvalidAccountId {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CanaryFile {
    account: Vec<CanaryEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CanaryEntry {
    id: String,
    #[allow(dead_code)] // documentation for readers of the data file
    service: String,
}

impl Canaries {
    /// The built-in canary accounts.
    pub fn builtin() -> Self {
        let file: CanaryFile = toml::from_str(BUILTIN)
            .expect("rules/data/canary-accounts.toml is valid (unit-tested)");
        let accounts = file
            .account
            .into_iter()
            .map(|e| {
                assert!(
                    is_account_id(&e.id),
                    "bad built-in canary account {:?}",
                    e.id
                );
                e.id
            })
            .collect();
        Canaries { accounts }
    }

    /// The built-in accounts plus `ids` (each must be 12 digits; surrounding
    /// whitespace is ignored).
    pub fn with_extra<I, S>(ids: I) -> Result<Self, InvalidAccountId>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut canaries = Self::builtin();
        for id in ids {
            let id = id.as_ref().trim();
            if !is_account_id(id) {
                return Err(InvalidAccountId(id.to_string()));
            }
            canaries.accounts.insert(id.to_string());
        }
        Ok(canaries)
    }

    /// True if `account` (12 digits) is a canary account.
    pub fn contains_account(&self, account: &str) -> bool {
        self.accounts.contains(account)
    }

    /// True if `key_id` decodes to a canary account. Old-format keys (no
    /// embedded account) are never canaries.
    pub fn is_canary_key(&self, key_id: &str) -> bool {
        aws_account_id(key_id).is_some_and(|a| self.contains_account(&a))
    }

    /// Number of accounts in the set.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// True if the set is empty (never the case for [`Canaries::builtin`]).
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }
}

impl Default for Canaries {
    fn default() -> Self {
        Self::builtin()
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::super::account::tests::key_id_for_account;
    use super::*;

    #[test]
    fn builtin_list_parses_and_holds_the_thinkst_accounts() {
        let c = Canaries::builtin();
        for id in [
            "052310077262",
            "171436882533",
            "534261010715",
            "595918472158",
            "717712589309",
            "819147034852",
            "992382622183",
        ] {
            assert!(c.contains_account(id), "{id}");
        }
        assert!(c.len() >= 7);
        assert!(!c.contains_account("123456789012"));
    }

    #[test]
    fn builtin_entries_are_unique() {
        let file: CanaryFile = toml::from_str(BUILTIN).unwrap();
        let set: HashSet<_> = file.account.iter().map(|e| &e.id).collect();
        assert_eq!(
            set.len(),
            file.account.len(),
            "duplicate account in data file"
        );
    }

    #[test]
    fn canary_keys_are_recognised_from_the_key_id() {
        let c = Canaries::builtin();
        // Published canarytokens.org key ids (trufflehog README / demo output).
        assert!(c.is_canary_key("AKIAYVP4CIPPERUVIFXG"));
        assert!(c.is_canary_key("AKIAQYLPMN5HHHFPZAM2"));
        assert!(c.is_canary_key(&key_id_for_account("ASIA", 171436882533)));
        assert!(!c.is_canary_key(&key_id_for_account("AKIA", 123456789012)));
        assert!(!c.is_canary_key("AKIAIOSFODNN7EXAMPLE"));
        assert!(!c.is_canary_key("not a key"));
    }

    #[test]
    fn extra_accounts_extend_the_builtin_list() {
        let c = Canaries::with_extra([" 123456789012 "]).unwrap();
        assert!(c.contains_account("123456789012"));
        assert!(c.contains_account("052310077262"));
        assert!(c.is_canary_key(&key_id_for_account("AKIA", 123456789012)));
        assert_eq!(c.len(), Canaries::builtin().len() + 1);
    }

    #[test]
    fn malformed_extra_accounts_are_rejected() {
        for bad in ["12345678901", "1234567890123", "12345678901x", ""] {
            let err = Canaries::with_extra([bad]).unwrap_err();
            assert_eq!(err, InvalidAccountId(bad.to_string()));
            assert!(err.to_string().contains("12 digits"));
        }
    }
}
