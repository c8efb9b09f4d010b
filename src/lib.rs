//! keygate: a fast secret scanner for files and git history.
//!
//! Data flows one way: [`source`] turns files, the index or history into
//! bytes with provenance; [`detect`] turns bytes into matches using a
//! [`rules::RuleSet`]; [`scan`] drives the two and builds [`Finding`]s;
//! [`verify`] checks credentials live; [`triage`] rates them and says what
//! to do; [`report`] prints findings.
//! [`cli`] parses arguments and [`app`] runs them. What a project accepts
//! as noise lives in [`config`] (rules and allowlists), [`ignore_file`] and
//! [`baseline`].

pub mod app;
pub mod baseline;
pub mod cli;
pub mod config;
pub mod detect;
pub mod diag;
pub mod finding;
#[doc(hidden)]
pub mod fuzzing;
pub mod hook;
pub mod ignore_file;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;
pub mod triage;
pub mod verify;

pub use finding::{CommitInfo, Finding, Verification};
