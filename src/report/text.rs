//! Human-readable text, grouped by file; colour only when asked (on a TTY).

use std::io::{self, Write};

use super::{shown_secret, Printer, ReportOptions};
use crate::diag::printable;
use std::collections::HashSet;

use crate::finding::{Finding, Severity, Verification};
use crate::triage::Playbook;

pub struct TextPrinter {
    opts: ReportOptions,
}

impl TextPrinter {
    pub fn new(opts: ReportOptions) -> TextPrinter {
        TextPrinter { opts }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.opts.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

impl Printer for TextPrinter {
    fn print(&mut self, findings: &[Finding], out: &mut dyn Write) -> io::Result<()> {
        let mut last_path: Option<&str> = None;
        let mut playbooks_shown: HashSet<&str> = HashSet::new();
        for f in findings {
            if last_path != Some(f.path.as_str()) {
                if last_path.is_some() {
                    writeln!(out)?;
                }
                writeln!(out, "{}", self.paint("1;35", &printable(&f.path)))?;
                last_path = Some(&f.path);
            }
            let secret = printable(&shown_secret(f, self.opts)).into_owned();
            writeln!(
                out,
                "  {}:{}  {}  {}  {}  {}",
                self.paint("32", &f.line.to_string()),
                f.column,
                self.severity(f.severity),
                self.paint("1;31", &printable(&f.rule)),
                secret,
                printable(&f.description)
            )?;
            if let Some(c) = &f.commit {
                let later = if f.later_commits > 0 {
                    format!(" (still in {} later commits)", f.later_commits)
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "      commit {} by {} <{}> on {}: {}{later}",
                    printable(c.commit.get(..12).unwrap_or(&c.commit)),
                    printable(&c.author),
                    printable(&c.email),
                    printable(&c.date),
                    printable(&c.summary)
                )?;
            }
            if let Some(account) = &f.account {
                writeln!(out, "      aws account {}", printable(account))?;
            }
            if let Some(v) = &f.verification {
                writeln!(out, "      {}", self.verification(v))?;
            }
            if let Some(p) = &f.playbook {
                if playbooks_shown.insert(&p.key_id) {
                    self.playbook(p, out)?;
                }
            }
        }
        Ok(())
    }
}

impl TextPrinter {
    fn severity(&self, s: Severity) -> String {
        let label = s.as_str().to_uppercase();
        match s {
            Severity::Critical => self.paint("1;97;41", &label),
            Severity::High => self.paint("1;31", &label),
            Severity::Medium => self.paint("33", &label),
            Severity::Low => self.paint("2", &label),
        }
    }

    fn playbook(&self, p: &Playbook, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "      {}",
            self.paint("1", &format!("What to do: {}", p.title()))
        )?;
        for (i, step) in p.steps(self.opts.show_secrets).iter().enumerate() {
            writeln!(out, "        {}. {}", i + 1, printable(&step.what))?;
            if let Some(cmd) = &step.run {
                writeln!(out, "           $ {}", printable(cmd))?;
            }
        }
        Ok(())
    }

    fn verification(&self, v: &Verification) -> String {
        match v {
            Verification::Live { account, arn, .. } => self.paint(
                "1;41;97",
                &format!(
                    "LIVE KEY: account {}, {}",
                    printable(account),
                    printable(arn)
                ),
            ),
            Verification::Invalid => "verified: invalid (not a working key)".into(),
            Verification::Expired => "verified: expired".into(),
            Verification::Unverified => {
                "not verified: no secret key (or, for ASIA keys, session token) found nearby".into()
            }
            Verification::Canary => self.paint(
                "33",
                "canary token: a trap key; not verified (using it alerts its owner)",
            ),
            Verification::Error { reason } => {
                format!("verification failed: {}", printable(reason))
            }
        }
    }
}
