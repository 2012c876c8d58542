//! Document agreements: which documents a partner exchanges, in which standard, version and
//! direction. An inbound document outside them is quarantined; an outbound one is refused.

use std::fmt;

use super::check::word;
pub use crate::model::{DocKind, Standard};

/// Which way a document travels, seen from Wharf (`[[documents]] direction`: `in` or `out`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Flow {
    /// From the partner to Wharf.
    In,
    /// From Wharf to the partner.
    Out,
}

impl fmt::Display for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::In => "in",
            Self::Out => "out",
        })
    }
}

/// Acknowledgements follow the acknowledgement policy ([x12] functional_ack and ta1,
/// [edifact] contrl), not the agreements: a partner's 997 answers what Wharf sent it.
pub fn is_acknowledgement(standard: Standard, doc_type: &str) -> bool {
    matches!(
        (standard, doc_type),
        (Standard::X12, "997" | "999" | "TA1") | (Standard::Edifact, "CONTRL")
    )
}

/// One document a partner exchanges.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Agreement {
    pub standard: Standard,
    /// X12 transaction set (850), EDIFACT message type (ORDERS), cXML request or UBL document.
    pub doc_type: &'static str,
    /// X12 4010/5010 (matched against GS08), EDIFACT D96A (UNH 0052+0054), cXML 1.2.050 or
    /// UBL 2.1; `None` accepts every version the engine reads.
    pub version: Option<String>,
    pub flow: Flow,
    /// GS1 company prefix for the SSCC-18 of every package of an outbound ship notice.
    pub sscc_prefix: Option<String>,
}

impl Agreement {
    /// Validates one `[[documents]]` entry; the error says what is wrong and the hint what
    /// would be right.
    pub fn parse(
        standard: &str,
        doc_type: &str,
        flow: &str,
        version: Option<&str>,
        sscc_prefix: Option<&str>,
    ) -> Result<Self, (&'static str, String, String)> {
        let standard = word::<Standard>(standard).ok_or_else(|| {
            (
                "standard",
                format!("`{standard}` is not a standard"),
                "x12, edifact, cxml or ubl".to_owned(),
            )
        })?;
        let flow = word::<Flow>(flow).ok_or_else(|| {
            (
                "direction",
                format!("`{flow}` is not a direction"),
                "in (partner to Wharf) or out (Wharf to partner)".to_owned(),
            )
        })?;
        let names = |f: Flow| {
            DocKind::names(standard, f == Flow::Out)
                .collect::<Vec<_>>()
                .join(", ")
        };
        if is_acknowledgement(standard, doc_type) {
            return Err((
                "type",
                format!("{doc_type} is an acknowledgement, not an agreed document"),
                "acknowledgements follow [x12] functional_ack/ta1 and [edifact] contrl".into(),
            ));
        }
        // The table's own spelling (a &'static str), when the standard names this document.
        let Some((kind, name)) =
            DocKind::from_name(standard, doc_type).and_then(|k| Some((k, k.name(standard)?)))
        else {
            return Err((
                "type",
                format!("`{doc_type}` is not a {standard} document Wharf exchanges"),
                format!(
                    "{standard} in: {}; out: {}",
                    names(Flow::In),
                    names(Flow::Out)
                ),
            ));
        };
        if !DocKind::supported(standard, name, flow == Flow::Out) {
            return Err((
                "direction",
                format!("Wharf does not handle {standard} {name} {flow}bound"),
                format!("{standard} {flow}: {}", names(flow)),
            ));
        }
        let version = version.map(str::trim).map(str::to_owned);
        if let Some(v) = &version {
            let ok = match standard {
                Standard::X12 => v.len() == 4 && v.bytes().all(|b| b.is_ascii_digit()),
                Standard::Edifact => {
                    let b = v.as_bytes();
                    b.len() == 4
                        && matches!(b[0], b'D' | b'S')
                        && b[1].is_ascii_digit()
                        && b[2].is_ascii_digit()
                        && b[3].is_ascii_uppercase()
                }
                Standard::Cxml | Standard::Ubl => {
                    !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                }
            };
            if !ok {
                let hint = match standard {
                    Standard::X12 => "four digits: 4010, 5010",
                    Standard::Edifact => "directory and release: D96A, D01B",
                    Standard::Cxml => "1.2.050",
                    Standard::Ubl => "2.1",
                };
                return Err(("version", format!("`{v}` is not a version"), hint.into()));
            }
        }
        if let Some(p) = sscc_prefix {
            let ships = kind == DocKind::ShipNotice;
            if !ships || flow != Flow::Out {
                return Err((
                    "sscc_prefix",
                    format!("{name} {flow} carries no packages Wharf labels"),
                    "sscc_prefix belongs on an outbound ship notice".into(),
                ));
            }
            if !(6..=11).contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err((
                    "sscc_prefix",
                    format!("`{p}` is not a GS1 company prefix"),
                    "6 to 11 digits, as assigned by GS1".into(),
                ));
            }
        }
        Ok(Self {
            standard,
            doc_type: name,
            version,
            flow,
            sscc_prefix: sscc_prefix.map(str::to_owned),
        })
    }

    fn version_matches(&self, found: Option<&str>) -> bool {
        let (Some(want), Some(found)) = (self.version.as_deref(), found) else {
            // No version agreed, or none to compare (a cXML without a version attribute).
            return true;
        };
        match self.standard {
            // GS08 is "004010" or "004010VICS": the agreed 4010 sits after two zeros.
            Standard::X12 => found.get(2..6) == Some(want) || found == want,
            // UNH 0052 and 0054 joined: D + 96A.
            Standard::Edifact | Standard::Cxml | Standard::Ubl => found == want,
        }
    }
}

/// A document found in a partner's message, to be matched against the agreements.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DocRef {
    pub standard: Standard,
    pub doc_type: String,
    pub version: Option<String>,
}

impl fmt::Display for DocRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.standard, self.doc_type)?;
        if let Some(v) = &self.version {
            write!(f, " version {v}")?;
        }
        Ok(())
    }
}

/// A partner's agreements. Empty means the profile lists none: every document the engine
/// reads is accepted (the format before agreements existed); `wharf partners check` says so.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Agreements(pub Vec<Agreement>);

impl Agreements {
    /// The agreement covering a document, or why none does.
    pub fn covering(&self, doc: &DocRef, flow: Flow) -> Result<Option<&Agreement>, String> {
        if self.0.is_empty() || is_acknowledgement(doc.standard, &doc.doc_type) {
            return Ok(None);
        }
        let same_type: Vec<&Agreement> = self
            .0
            .iter()
            .filter(|a| a.standard == doc.standard && a.doc_type == doc.doc_type && a.flow == flow)
            .collect();
        if let Some(a) = same_type
            .iter()
            .find(|a| a.version_matches(doc.version.as_deref()))
        {
            return Ok(Some(a));
        }
        let listed = self
            .0
            .iter()
            .map(|a| {
                let v = a
                    .version
                    .as_deref()
                    .map(|v| format!(" {v}"))
                    .unwrap_or_default();
                format!("{} {}{v} {}", a.standard, a.doc_type, a.flow)
            })
            .collect::<Vec<_>>()
            .join(", ");
        Err(if same_type.is_empty() {
            format!("{doc} ({flow}bound) is not among the documents agreed: {listed}")
        } else {
            format!("{doc} ({flow}bound) is agreed in another version only: {listed}")
        })
    }

    /// The agreement for an outbound document type, if the partner takes it.
    pub fn outbound(&self, standard: Standard, doc_type: &str) -> Option<&Agreement> {
        self.0
            .iter()
            .find(|a| a.standard == standard && a.doc_type == doc_type && a.flow == Flow::Out)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The documents in a partner's bytes (envelope headers only, nothing translated): X12 GS08
/// with each ST01, EDIFACT UNH message types and versions. Read to the end of the bytes so a
/// file is judged whole; unreadable parts are left to the translate stage to report.
pub fn inventory_x12(raw: &[u8]) -> Vec<DocRef> {
    use crate::edi::x12::reader::Reader;
    let mut out: Vec<DocRef> = Vec::new();
    let mut reader = Reader::new(raw);
    let mut version: Option<String> = None;
    while let Ok(Some(seg)) = reader.next_segment() {
        if seg.is("GS") {
            version = seg.text(8).map(|v| v.to_string());
        } else if seg.is("ST") {
            let doc = DocRef {
                standard: Standard::X12,
                doc_type: seg.text(1).map(|t| t.to_string()).unwrap_or_default(),
                version: version.clone(),
            };
            if !out.contains(&doc) {
                out.push(doc);
            }
        }
    }
    out
}

/// See [`inventory_x12`]: UNH 0065, with 0052 and 0054 joined as the version (D96A).
pub fn inventory_edifact(raw: &[u8]) -> Vec<DocRef> {
    use crate::edi::edifact::reader::Reader;
    let mut out: Vec<DocRef> = Vec::new();
    let mut reader = Reader::new(raw);
    while let Ok(Some(seg)) = reader.next_segment() {
        if !seg.is("UNH") {
            continue;
        }
        let part = |k| seg.text(2, k).map(|t| t.trim().to_owned());
        let version = match (part(2), part(3)) {
            (Some(v), Some(r)) => Some(format!("{v}{r}")),
            _ => None,
        };
        let doc = DocRef {
            standard: Standard::Edifact,
            doc_type: part(1).unwrap_or_default(),
            version,
        };
        if !out.contains(&doc) {
            out.push(doc);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agreements(list: &[(&str, &str, &str, Option<&str>)]) -> Agreements {
        Agreements(
            list.iter()
                .map(|(s, t, d, v)| Agreement::parse(s, t, d, *v, None).expect("valid"))
                .collect(),
        )
    }

    fn doc(standard: Standard, t: &str, v: Option<&str>) -> DocRef {
        DocRef {
            standard,
            doc_type: t.into(),
            version: v.map(Into::into),
        }
    }

    #[test]
    fn a_document_is_covered_by_type_direction_and_version() {
        let a = agreements(&[
            ("x12", "850", "in", Some("4010")),
            ("x12", "855", "out", None),
            ("edifact", "ORDERS", "in", Some("D96A")),
        ]);
        let found = a.covering(&doc(Standard::X12, "850", Some("004010VICS")), Flow::In);
        assert_eq!(found.unwrap().map(|a| a.doc_type), Some("850"));
        let e = a
            .covering(&doc(Standard::X12, "850", Some("005010")), Flow::In)
            .unwrap_err();
        assert!(e.contains("another version only"), "{e}");
        let e = a
            .covering(&doc(Standard::X12, "856", Some("004010")), Flow::In)
            .unwrap_err();
        assert!(
            e.contains("x12 856 version 004010 (inbound) is not among"),
            "{e}"
        );
        assert!(
            a.covering(&doc(Standard::X12, "855", None), Flow::In)
                .is_err(),
            "855 is agreed outbound only"
        );
        assert!(
            a.covering(&doc(Standard::Edifact, "ORDERS", Some("D96A")), Flow::In)
                .unwrap()
                .is_some()
        );
        // Acknowledgements follow the acknowledgement policy, not the agreements.
        assert_eq!(
            a.covering(&doc(Standard::X12, "997", None), Flow::In),
            Ok(None)
        );
        // No agreements at all: everything the engine reads.
        assert_eq!(
            Agreements::default().covering(&doc(Standard::X12, "856", None), Flow::In),
            Ok(None)
        );
    }

    #[test]
    fn an_agreement_names_only_what_wharf_can_do() {
        let e = Agreement::parse("x12", "850", "out", None, None).unwrap_err();
        assert_eq!(e.0, "direction");
        assert!(e.2.contains("855, 856, 810"), "{e:?}");
        let e = Agreement::parse("x12", "940", "out", None, None).unwrap_err();
        assert_eq!(e.0, "type");
        let e = Agreement::parse("edifact", "ORDERS", "in", Some("96A"), None).unwrap_err();
        assert_eq!(e.0, "version");
        let e = Agreement::parse("x12", "997", "out", None, None).unwrap_err();
        assert!(e.1.contains("acknowledgement"), "{e:?}");
        let e = Agreement::parse("x12", "855", "out", None, Some("0614141")).unwrap_err();
        assert_eq!(e.0, "sscc_prefix");
        let ok = Agreement::parse("x12", "856", "out", Some("4010"), Some("0614141")).unwrap();
        assert_eq!(ok.sscc_prefix.as_deref(), Some("0614141"));
    }

    #[test]
    fn inventory_reads_envelope_headers_only() {
        let x12 = b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *261126*1200*U*00401*000000001*0*P*>~GS*PO*A*B*20261126*1200*1*X*004010~ST*850*0001~SE*2*0001~ST*850*0002~SE*2*0002~GE*2*1~GS*SH*A*B*20261126*1200*2*X*005010~ST*856*0001~SE*2*0001~GE*1*2~IEA*2*000000001~";
        let inv = inventory_x12(x12);
        assert_eq!(
            inv,
            vec![
                doc(Standard::X12, "850", Some("004010")),
                doc(Standard::X12, "856", Some("005010"))
            ]
        );
        let edi = b"UNB+UNOA:3+A+B+261126:1200+1'UNH+1+ORDERS:D:96A:UN:EAN008'UNT+2+1'UNH+2+DESADV:D:01B:UN'UNT+2+2'UNZ+2+1'";
        let inv = inventory_edifact(edi);
        assert_eq!(
            inv,
            vec![
                doc(Standard::Edifact, "ORDERS", Some("D96A")),
                doc(Standard::Edifact, "DESADV", Some("D01B"))
            ]
        );
    }
}
