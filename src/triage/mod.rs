//! Triage: from what detection and verification learned, how bad each
//! finding is and what to do about it.
//!
//! Runs after verification and before reporting; it only fills in
//! `Finding::severity` and `Finding::playbook`.

mod playbook;
mod severity;

pub use playbook::{Playbook, PlaybookKind, Step};
pub use severity::assess;
