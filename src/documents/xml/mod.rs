//! XML → canonical documents: the dialect is told from the root element and its namespace (cXML, UBL 2.1), then the document is mapped; every fault names the element path. Pure: no I/O.

pub mod cxml;
pub mod ubl;

use crate::edi::diag::{Diagnostic, Location};
use crate::edi::xml::{Element, Limits, XmlError, parse};
use crate::model::Document;
use rust_decimal::Decimal;
use serde::Serialize;
use std::str::FromStr;

/// Which XML document this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Dialect {
    /// cXML (any request; OrderRequest is mapped).
    Cxml,
    /// UBL 2.1 (Order is mapped).
    Ubl,
}

/// A translated XML document.
#[derive(Debug, Clone, Serialize)]
pub struct XmlTranslation {
    pub dialect: Dialect,
    /// The request or document type: "OrderRequest", "Order", …
    pub kind: String,
    /// cXML payloadID, or UBL ID/UUID: what makes a resend recognisable.
    pub reference: String,
    /// From/Credential (cXML) or the buyer's endpoint (UBL).
    pub sender: Option<String>,
    pub receiver: Option<String>,
    pub documents: Vec<Document>,
    /// Faults (errors reject the document) and notes, each naming the element path.
    pub errors: Vec<Diagnostic>,
}

/// UBL 2.1 document namespaces start with this.
const UBL_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:";

/// Collects faults located by element path.
#[derive(Debug, Default)]
pub struct Faults {
    pub found: Vec<Diagnostic>,
}

impl Faults {
    pub fn error(&mut self, at: &Element, message: String) {
        self.found.push(Diagnostic::error(
            None,
            Location {
                offset: Some(at.offset),
                segment_id: Some(at.path.clone()),
                ..Location::default()
            },
            format!("{message} (at {})", at.path),
        ));
    }

    /// A required element or attribute that is absent below `at`.
    pub fn missing(&mut self, at: &Element, what: &str) {
        self.error(at, format!("{what} is missing"));
    }

    pub fn is_clean(&self) -> bool {
        !self
            .found
            .iter()
            .any(|d| d.severity == crate::edi::diag::Severity::Error)
    }

    /// A decimal from text; a fault naming the path when it is not one.
    pub fn decimal(&mut self, at: &Element, text: Option<&str>, what: &str) -> Option<Decimal> {
        let t = text?.trim();
        match Decimal::from_str(t) {
            Ok(d) => Some(d),
            Err(_) => {
                self.error(at, format!("{what} {t:?} is not a decimal number"));
                None
            }
        }
    }
}

/// The date part (YYYY-MM-DD) of an ISO 8601 date or date-time.
pub fn iso_date(text: &str) -> Option<crate::model::Text> {
    let d = text.get(..10)?;
    crate::documents::x12::po850::iso_date(d.replace('-', "").as_bytes())
}

/// Translates one XML document. `Err` when it is not well-formed XML (or breaks a limit).
pub fn translate(input: &[u8]) -> Result<XmlTranslation, XmlError> {
    let doc = parse(input, Limits::default())?;
    let root = &doc.root;
    let ubl = root.ns.as_deref().is_some_and(|n| n.starts_with(UBL_NS));
    if root.name == "cXML" && root.ns.is_none() {
        Ok(cxml::translate(root))
    } else if ubl {
        Ok(ubl::translate(root))
    } else {
        Err(XmlError {
            path: root.path.clone(),
            offset: root.offset,
            reason: format!(
                "root element <{}>{} is neither cXML nor UBL 2.1",
                root.name,
                root.ns
                    .as_deref()
                    .map(|n| format!(" in namespace {n}"))
                    .unwrap_or_default()
            ),
        })
    }
}
