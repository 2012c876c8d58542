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
