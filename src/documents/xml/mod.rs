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
    /// cXML Header/Sender/Credential/SharedSecret (never serialised or logged).
    #[serde(skip)]
    pub shared_secret: Option<String>,
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

/// [`translate`] on tokio's blocking pool: reading a large document is CPU work that must not
/// hold an async thread (two big `/cxml` bodies once stalled `/healthz` for seconds).
pub async fn translate_blocking(
    input: impl AsRef<[u8]> + Send + 'static,
) -> Result<XmlTranslation, XmlError> {
    tokio::task::spawn_blocking(move || translate(input.as_ref()))
        .await
        .unwrap_or_else(|e| {
            Err(XmlError {
                path: "/".into(),
                offset: 0,
                reason: format!("the XML reader stopped: {e}"),
            })
        })
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::model::{ItemIdQualifier, PartyRole};

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/xml/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("fixture")
    }

    #[test]
    fn a_cxml_order_request_becomes_an_order() {
        let t = translate(&fixture("cxml_order.xml")).expect("reads");
        assert_eq!(t.dialect, Dialect::Cxml);
        assert_eq!(t.kind, "OrderRequest");
        assert_eq!(t.reference, "20261126.1@buyer.example");
        assert_eq!(t.sender.as_deref(), Some("NetworkID:AN0100000001"));
        assert!(t.errors.is_empty(), "{:?}", t.errors);
        let [Document::Order(o)] = t.documents.as_slice() else {
            panic!("{:?}", t.documents)
        };
        assert_eq!(o.po_number, "PO-CX-77");
        assert_eq!(o.po_date.as_deref(), Some("2026-11-26"));
        assert_eq!(o.requested_delivery_date.as_deref(), Some("2026-12-04"));
        assert_eq!(o.currency.as_deref(), Some("USD"));
        assert_eq!(o.notes, vec!["Call before delivery"]);
        let ship = &o.parties[0];
        assert_eq!(ship.role, PartyRole::ShipTo);
        assert_eq!(ship.id.as_deref(), Some("STORE-9"));
        assert_eq!(ship.name.as_deref(), Some("Store 9 & Annex"));
        assert_eq!(ship.country.as_deref(), Some("US"));
        assert_eq!(o.lines.len(), 2);
        assert_eq!(o.lines[0].quantity, Decimal::new(10, 0));
        assert_eq!(o.lines[0].unit_price, Some(Decimal::new(1250, 2)));
        assert_eq!(o.lines[0].item_ids[1].qualifier, ItemIdQualifier::BuyerPart);
        assert_eq!(o.lines[1].uom.as_deref(), Some("CA"));
        assert_eq!(o.source.standard, "cXML");
        assert_eq!(o.source.version, "1.2.050");
    }

    #[test]
    fn cxml_faults_name_the_element_path() {
        let text = String::from_utf8(fixture("cxml_order.xml")).unwrap();
        let bad = text
            .replace(r#"orderID="PO-CX-77" "#, "")
            .replace(r#"quantity="2""#, r#"quantity="two""#);
        let t = translate(bad.as_bytes()).expect("well-formed");
        assert!(t.documents.is_empty());
        let msgs: Vec<&str> = t.errors.iter().map(|d| d.message.as_str()).collect();
        assert!(msgs.iter().any(|m| m.contains("OrderRequestHeader/@orderID is missing (at /cXML/Request/OrderRequest/OrderRequestHeader)")), "{msgs:?}");
        assert!(
            msgs.iter().any(|m| m.contains(
                "\"two\" is not a decimal number (at /cXML/Request/OrderRequest/ItemOut)"
            )),
            "{msgs:?}"
        );
        let status = cxml::Status::for_translation(Ok(&t));
        assert_eq!(status.code, 400);
        let broken = translate(b"<cXML><Request><OrderRequest></Request></cXML>").unwrap_err();
        assert_eq!(broken.path, "/cXML/Request/OrderRequest");
        assert_eq!(cxml::Status::for_translation(Err(&broken)).code, 400);
    }

    #[test]
    fn a_ubl_order_becomes_an_order() {
        let t = translate(&fixture("ubl_order.xml")).expect("reads");
        assert_eq!(t.dialect, Dialect::Ubl);
        assert!(t.errors.is_empty(), "{:?}", t.errors);
        assert_eq!(t.sender.as_deref(), Some("4012345000009"));
        let [Document::Order(o)] = t.documents.as_slice() else {
            panic!("{:?}", t.documents)
        };
        assert_eq!(o.po_number, "PO-UBL-5");
        assert_eq!(o.po_date.as_deref(), Some("2026-11-26"));
        assert_eq!(o.currency.as_deref(), Some("EUR"));
        assert_eq!(o.requested_delivery_date.as_deref(), Some("2026-12-01"));
        let dp = o
            .parties
            .iter()
            .find(|p| p.role == PartyRole::ShipTo)
            .expect("delivery");
        assert_eq!(dp.id.as_deref(), Some("4012345000108"));
        assert_eq!(dp.id_qualifier.as_deref(), Some("0088"));
        assert_eq!(dp.city.as_deref(), Some("Gent"));
        let l = &o.lines[0];
        assert_eq!(l.quantity, Decimal::new(24, 0));
        assert_eq!(l.uom.as_deref(), Some("C62"));
        assert_eq!(l.unit_price, Some(Decimal::new(175, 2)));
        assert_eq!(l.item_ids[0].qualifier, ItemIdQualifier::Gtin);
        assert_eq!(l.item_ids[0].value, "05412345000020");
        // The namespace decides, not the prefix: the same names outside UBL are refused.
        let foreign = String::from_utf8(fixture("ubl_order.xml"))
            .unwrap()
            .replace(
                "urn:oasis:names:specification:ubl:schema:xsd:Order-2",
                "urn:example:order",
            );
        let e = translate(foreign.as_bytes()).unwrap_err();
        assert!(e.reason.contains("neither cXML nor UBL"), "{e}");
    }
}
