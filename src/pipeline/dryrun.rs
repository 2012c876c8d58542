//! The dry run: what a file would become for a partner (its canonical documents, the mapping
//! of each to the ERP and the Odoo records that would be written) without storing or sending
//! anything. Shared by `wharf translate --plan` and the admin pages' "test a file" form.

use crate::documents::edifact as edidoc;
use crate::documents::x12 as x12doc;
use crate::edi::diag::Diagnostic;
use crate::model::Document;
use crate::partners::{Profile, Verdict};
use crate::pipeline::mapping::Mapped;
use crate::store::Format;

/// Every canonical document in `raw` (any syntax), with the reader's findings; an error when
/// the bytes are none of X12, EDIFACT and XML or cannot be read at all.
pub fn documents(raw: &[u8]) -> Result<(Vec<Document>, Vec<Diagnostic>), String> {
    Ok(match Format::sniff(raw) {
        Format::X12 => {
            let t = x12doc::translate(raw).map_err(|e| e.to_string())?;
            let errors = t
                .interchanges
                .iter()
                .flat_map(|i| i.errors.clone())
                .collect();
            let docs = t
                .interchanges
                .into_iter()
                .flat_map(|i| i.documents)
                .collect();
            (docs, errors)
        }
        Format::Edifact => {
            let t = edidoc::translate_with(raw, edidoc::TranslateOptions::default())
                .map_err(|e| e.to_string())?;
            let errors = t
                .interchanges
                .iter()
                .flat_map(|i| i.errors.clone())
                .collect();
            let docs = t
                .interchanges
                .into_iter()
                .flat_map(|i| i.documents)
                .collect();
            (docs, errors)
        }
        Format::Xml => {
            let t = crate::documents::xml::translate(raw).map_err(|e| e.to_string())?;
            (t.documents, t.errors)
        }
        Format::Unknown => return Err("not X12 (ISA), EDIFACT (UNA/UNB) or XML".into()),
    })
}

/// One document's plan: the document, its mapping, the ERP's records for it (`records`:
/// the Odoo records, from `erp::odoo::plan`), and the profile's warnings and errors (an
/// error would hold the document).
pub fn plan(
    profile: &Profile,
    d: &Document,
    records: &dyn Fn(&Mapped) -> serde_json::Value,
) -> Result<serde_json::Value, serde_json::Error> {
    use crate::pipeline::mapping::{map_order, map_ship_notice};
    let mut findings = Vec::new();
    let mapped = match d {
        Document::Order(o) => Some(Mapped::Order(map_order(profile, o, &mut findings))),
        Document::ShipNotice(n) => {
            Some(Mapped::Receipt(map_ship_notice(profile, n, &mut findings)))
        }
        _ => None,
    };
    let (plan, records) = match &mapped {
        Some(m @ Mapped::Order(o)) => (serde_json::to_value(o)?, records(m)),
        Some(m @ Mapped::Receipt(r)) => (serde_json::to_value(r)?, records(m)),
        None => (serde_json::Value::Null, serde_json::Value::Null),
    };
    let mut warnings: Vec<String> = findings
        .iter()
        .filter(|f| f.verdict == Verdict::Warn)
        .map(ToString::to_string)
        .collect();
    if plan.is_null() {
        warnings.push("no ERP mapping for this document type yet".to_owned());
    }
    let errors: Vec<String> = findings
        .iter()
        .filter(|f| f.verdict == Verdict::Reject)
        .map(ToString::to_string)
        .collect();
    Ok(serde_json::json!({
        "document": d,
        "plan": plan,
        "odoo": records,
        "warnings": warnings,
        "errors": errors,
    }))
}

/// A dry run's outcome in one line of plain words, shown before any detail: "Would create
/// sale order PO-1 for ACME with 2 lines", "Held: …" (the first reason a rule holds it),
/// "Rejected: …" (the reader's first error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Every document read and none held: the file would go through as it is.
    pub passed: bool,
    pub line: String,
}

/// The outcome of `plans` (each as [`plan`] makes it) with the reader's `findings`.
pub fn outcome(plans: &[serde_json::Value], findings: &[Diagnostic]) -> Outcome {
    use crate::edi::diag::Severity;
    let failed = |line: String| Outcome {
        passed: false,
        line,
    };
    if let Some(e) = findings.iter().find(|d| d.severity == Severity::Error) {
        return failed(format!("Rejected: {e}"));
    }
    if plans.is_empty() {
        return failed("Nothing read: the file holds no document".into());
    }
    let n = plans.len();
    let mut lines = Vec::new();
    for (i, p) in plans.iter().enumerate() {
        let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
        let of = if n > 1 {
            format!(" (document {} of {n})", i + 1)
        } else {
            String::new()
        };
        if let Some(e) = p["errors"].as_array().and_then(|e| e.first()) {
            return failed(format!("Held: {}{of}", s(e)));
        }
        let plan = &p["plan"];
        let line = if plan["customer_ref"].is_string() {
            let lines = plan["lines"].as_array().map_or(0, Vec::len);
            let verb = match plan["purpose"].as_str() {
                Some("Cancellation") => "cancel",
                Some("Original") => "create",
                // Change, Replace, or another purpose code kept raw.
                _ => "change",
            };
            format!(
                "Would {verb} sale order {} for {} with {lines} line{}",
                s(&plan["client_order_ref"]),
                s(&plan["customer_ref"]),
                if lines == 1 { "" } else { "s" }
            )
        } else if plan["vendor_ref"].is_string() {
            let orders = plan["orders"].as_array().map_or(0, Vec::len);
            format!(
                "Would update the receipts of {orders} purchase order{} from {}",
                if orders == 1 { "" } else { "s" },
                s(&plan["vendor_ref"])
            )
        } else {
            let kind = p["document"]["type"].as_str().unwrap_or("document");
            return failed(format!("Not mapped: Wharf sends no {kind} to the ERP{of}"));
        };
        lines.push(line);
    }
    let warnings: usize = plans
        .iter()
        .map(|p| p["warnings"].as_array().map_or(0, Vec::len))
        .sum();
    let mut line = if n == 1 {
        lines.swap_remove(0)
    } else {
        format!(
            "All {n} documents pass; the first: {}",
            lines.swap_remove(0)
        )
    };
    if warnings > 0 {
        line.push_str(&format!(
            " ({warnings} warning{})",
            if warnings == 1 { "" } else { "s" }
        ));
    }
    Outcome { passed: true, line }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order(errors: &[&str], warnings: &[&str]) -> serde_json::Value {
        json!({
            "document": { "type": "Order" },
            "plan": {
                "customer_ref": "ACME",
                "client_order_ref": "PO-1",
                "purpose": "Original",
                "lines": [{}, {}],
            },
            "warnings": warnings,
            "errors": errors,
        })
    }

    #[test]
    fn the_verdict_says_what_would_happen_or_why_not_in_one_line() {
        let ok = outcome(&[order(&[], &[])], &[]);
        assert_eq!(
            (ok.passed, ok.line.as_str()),
            (true, "Would create sale order PO-1 for ACME with 2 lines")
        );
        let warned = outcome(&[order(&[], &["uom CS unmapped"])], &[]);
        assert!(
            warned.passed && warned.line.ends_with("(1 warning)"),
            "{warned:?}"
        );
        let held = outcome(
            &[
                order(&[], &[]),
                order(&["buyer part ACME-999 unknown [item_unresolved]"], &[]),
            ],
            &[],
        );
        assert_eq!(
            (held.passed, held.line.as_str()),
            (
                false,
                "Held: buyer part ACME-999 unknown [item_unresolved] (document 2 of 2)"
            )
        );
        let bad = Diagnostic::error(None, Default::default(), "IEA02 does not match".into());
        let rejected = outcome(&[order(&[], &[])], &[bad]);
        assert_eq!(rejected.line, "Rejected: IEA02 does not match");
        assert!(!outcome(&[], &[]).passed);
        let unmapped = json!({ "document": { "type": "Invoice" }, "plan": null, "errors": [] });
        assert_eq!(
            outcome(&[unmapped], &[]).line,
            "Not mapped: Wharf sends no Invoice to the ERP"
        );
    }
}
