//! Reports: findings in, bytes out. One printer per format; printers only
//! read findings and never see how they were produced.

mod json;
mod sarif;
mod text;

use std::io::{self, Write};

use crate::finding::Finding;
use crate::rules::RuleSet;

pub use json::{JsonLinesPrinter, JsonPrinter};
pub use sarif::SarifPrinter;
pub use text::TextPrinter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Jsonl,
    Sarif,
}

/// What every printer needs to know beyond the findings.
#[derive(Debug, Clone, Copy)]
pub struct ReportOptions {
    pub show_secrets: bool,
    pub color: bool,
}

pub trait Printer {
    fn print(&mut self, findings: &[Finding], out: &mut dyn Write) -> io::Result<()>;
}

/// The printer for `format`. `rules` feeds SARIF's rule metadata.
pub fn printer<'a>(
    format: Format,
    opts: ReportOptions,
    rules: &'a RuleSet,
) -> Box<dyn Printer + 'a> {
    match format {
        Format::Text => Box::new(TextPrinter::new(opts)),
        Format::Json => Box::new(JsonPrinter::new(opts)),
        Format::Jsonl => Box::new(JsonLinesPrinter::new(opts)),
        Format::Sarif => Box::new(SarifPrinter::new(opts, rules)),
    }
}

/// The secret as the user may see it under `opts`.
pub fn shown_secret(f: &Finding, opts: ReportOptions) -> String {
    if opts.show_secrets {
        f.secret.clone()
    } else {
        f.redacted_secret()
    }
}
