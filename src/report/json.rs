//! JSON (one array) and JSON Lines (one object per line).
//!
//! Fields: rule, description, path, line, column, secret (redacted unless
//! shown), fingerprint, entropy, severity; and when known: commit, author, email,
//! date, message, later_commits, account, verification, playbook.

use std::io::{self, Write};

use serde::Serialize;

use super::{shown_secret, Printer, ReportOptions};
use crate::finding::{Finding, Severity, Verification};
use crate::triage::{PlaybookKind, Step};

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    description: &'a str,
    path: &'a str,
    line: usize,
    column: usize,
    secret: String,
    fingerprint: &'a str,
    entropy: f64,
    severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    later_commits: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<&'a Verification>,
    #[serde(skip_serializing_if = "Option::is_none")]
    playbook: Option<JsonPlaybook<'a>>,
}

#[derive(Serialize)]
struct JsonPlaybook<'a> {
    kind: PlaybookKind,
    title: &'a str,
    steps: Vec<Step>,
}

impl<'a> JsonFinding<'a> {
    fn new(f: &'a Finding, opts: ReportOptions) -> JsonFinding<'a> {
        let c = f.commit.as_deref();
        JsonFinding {
            rule: &f.rule,
            description: &f.description,
            path: &f.path,
            line: f.line,
            column: f.column,
            secret: shown_secret(f, opts),
            fingerprint: &f.fingerprint,
            entropy: (f.entropy * 1000.0).round() / 1000.0,
            severity: f.severity,
            commit: c.map(|c| c.commit.as_str()),
            author: c.map(|c| c.author.as_str()),
            email: c.map(|c| c.email.as_str()),
            date: c.map(|c| c.date.as_str()),
            message: c.map(|c| c.summary.as_str()),
            later_commits: c.map(|_| f.later_commits),
            account: f.account.as_deref(),
            verification: f.verification.as_ref(),
            playbook: f.playbook.as_ref().map(|p| JsonPlaybook {
                kind: p.kind,
                title: p.title(),
                steps: p.steps(opts.show_secrets),
            }),
        }
    }
}

pub struct JsonPrinter {
    opts: ReportOptions,
}

impl JsonPrinter {
    pub fn new(opts: ReportOptions) -> JsonPrinter {
        JsonPrinter { opts }
    }
}

impl Printer for JsonPrinter {
    fn print(&mut self, findings: &[Finding], out: &mut dyn Write) -> io::Result<()> {
        let all: Vec<JsonFinding<'_>> = findings
            .iter()
            .map(|f| JsonFinding::new(f, self.opts))
            .collect();
        serde_json::to_writer_pretty(&mut *out, &all)?;
        writeln!(out)
    }
}

pub struct JsonLinesPrinter {
    opts: ReportOptions,
}

impl JsonLinesPrinter {
    pub fn new(opts: ReportOptions) -> JsonLinesPrinter {
        JsonLinesPrinter { opts }
    }
}

impl Printer for JsonLinesPrinter {
    fn print(&mut self, findings: &[Finding], out: &mut dyn Write) -> io::Result<()> {
        for f in findings {
            serde_json::to_writer(&mut *out, &JsonFinding::new(f, self.opts))?;
            writeln!(out)?;
        }
        Ok(())
    }
}
