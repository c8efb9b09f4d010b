//! SARIF 2.1.0, in the shape GitHub code scanning accepts: one run, the
//! rules that fired as `tool.driver.rules`, one result per finding with a
//! physical location and a `partialFingerprints` entry.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{json, Value};

use super::{shown_secret, Printer, ReportOptions};
use crate::finding::{Finding, Severity};
use crate::rules::RuleSet;

pub struct SarifPrinter<'a> {
    opts: ReportOptions,
    rules: &'a RuleSet,
}

impl<'a> SarifPrinter<'a> {
    pub fn new(opts: ReportOptions, rules: &'a RuleSet) -> SarifPrinter<'a> {
        SarifPrinter { opts, rules }
    }

    fn rule_descriptor(&self, id: &str, fallback_description: &str) -> Value {
        let rule = self.rules.get(id);
        let description = rule.map_or(fallback_description, |r| r.description.as_str());
        let severity = rule.map_or(Severity::High, |r| r.severity);
        json!({
            "id": id,
            "name": id,
            "shortDescription": { "text": description },
            "fullDescription": { "text": format!("{description} committed to the repository") },
            "help": { "text": "Revoke the credential at its issuer, replace it, and remove it from the code; removing it from git history does not make it safe again." },
            "defaultConfiguration": { "level": level(severity) },
            "properties": {
                "tags": ["security", "secrets"],
                "security-severity": security_severity(severity),
                "precision": "high"
            }
        })
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub maps this score to its critical/high/medium/low labels.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// SARIF wants a URI reference: forward slashes, no leading `./`.
fn uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    p.strip_prefix("./").unwrap_or(&p).to_string()
}

impl Printer for SarifPrinter<'_> {
    fn print(&mut self, findings: &[Finding], out: &mut dyn Write) -> io::Result<()> {
        let mut rule_index: BTreeMap<&str, usize> = BTreeMap::new();
        let mut descriptors = Vec::new();
        for f in findings {
            if !rule_index.contains_key(f.rule.as_str()) {
                rule_index.insert(&f.rule, descriptors.len());
                descriptors.push(self.rule_descriptor(&f.rule, &f.description));
            }
        }
        let results: Vec<Value> = findings
            .iter()
            .map(|f| {
                let severity = f.severity;
                let mut properties = json!({
                    "entropy": (f.entropy * 1000.0).round() / 1000.0,
                    "severity": severity.as_str(),
                    "security-severity": security_severity(severity),
                });
                if let Some(c) = &f.commit {
                    properties["commit"] = json!(c.commit);
                    properties["author"] = json!(c.author);
                    properties["email"] = json!(c.email);
                    properties["date"] = json!(c.date);
                    properties["message"] = json!(c.summary);
                }
                if let Some(v) = &f.verification {
                    properties["verification"] = json!(v);
                }
                let mut location = json!({
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&f.path) },
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                        }
                    }
                });
                if let Some(c) = &f.commit {
                    location["physicalLocation"]["artifactLocation"]["properties"] =
                        json!({ "commit": c.commit });
                }
                json!({
                    "ruleId": f.rule,
                    "ruleIndex": rule_index[f.rule.as_str()],
                    "level": level(severity),
                    "message": { "text": format!("{} found: {}", f.description, shown_secret(f, self.opts)) },
                    "locations": [location],
                    "partialFingerprints": { "keygate/v1": f.fingerprint },
                    "properties": properties,
                })
            })
            .collect();
        let doc = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": { "driver": {
                    "name": "keygate",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/keygate/keygate",
                    "rules": descriptors,
                }},
                "results": results,
            }]
        });
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)
    }
}
