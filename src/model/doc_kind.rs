//! The business documents Wharf knows, and each standard's name for them: one table instead
//! of the names ("850", "DESADV", "ShipNoticeRequest") spelled out wherever a decision needs one.

use std::fmt;

/// The syntax families Wharf speaks (a profile's `[[documents]] standard` names them as the
/// JSON does).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Standard {
    X12,
    Edifact,
    Cxml,
    Ubl,
}

impl Standard {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::X12 => "x12",
            Self::Edifact => "edifact",
            Self::Cxml => "cxml",
            Self::Ubl => "ubl",
        }
    }
}

impl fmt::Display for Standard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A kind of business document, whatever the standard that carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    /// A purchase order (X12 850, EDIFACT ORDERS, cXML OrderRequest, UBL Order).
    Order,
    /// An order acknowledgement (855, ORDRSP, ConfirmationRequest, OrderResponse).
    OrderAck,
    /// A ship notice (856, DESADV, ShipNoticeRequest, DespatchAdvice).
    ShipNotice,
    /// An invoice (810).
    Invoice,
}

/// One row per document a standard names: its name, whether Wharf reads it, whether Wharf
/// writes it. The only place these names are spelled for decisions.
const NAMES: &[(Standard, DocKind, &str, bool, bool)] = &[
    (Standard::X12, DocKind::Order, "850", true, false),
    (Standard::X12, DocKind::OrderAck, "855", true, true),
    (Standard::X12, DocKind::ShipNotice, "856", true, true),
    (Standard::X12, DocKind::Invoice, "810", true, true),
    (Standard::Edifact, DocKind::Order, "ORDERS", true, false),
    (Standard::Edifact, DocKind::OrderAck, "ORDRSP", false, true),
    (Standard::Edifact, DocKind::ShipNotice, "DESADV", true, true),
    (Standard::Cxml, DocKind::Order, "OrderRequest", true, false),
    (
        Standard::Cxml,
        DocKind::OrderAck,
        "ConfirmationRequest",
        false,
        true,
    ),
    (
        Standard::Cxml,
        DocKind::ShipNotice,
        "ShipNoticeRequest",
        true,
        true,
    ),
    (Standard::Ubl, DocKind::Order, "Order", true, false),
    (
        Standard::Ubl,
        DocKind::OrderAck,
        "OrderResponse",
        false,
        true,
    ),
    (
        Standard::Ubl,
        DocKind::ShipNotice,
        "DespatchAdvice",
        true,
        true,
    ),
];

impl DocKind {
    /// This document's name in `standard` ("856", "DESADV"), when the standard has one here.
    pub fn name(self, standard: Standard) -> Option<&'static str> {
        NAMES
            .iter()
            .find(|(s, k, ..)| *s == standard && *k == self)
            .map(|(_, _, name, ..)| *name)
    }

    /// The kind `standard` means by `name`.
    pub fn from_name(standard: Standard, name: &str) -> Option<Self> {
        NAMES
            .iter()
            .find(|(s, _, n, ..)| *s == standard && *n == name)
            .map(|(_, k, ..)| *k)
    }

    /// Whether Wharf reads `name` of `standard` (`out == false`) or writes it (`out == true`).
    pub fn supported(standard: Standard, name: &str, out: bool) -> bool {
        NAMES.iter().any(|(s, _, n, reads, writes)| {
            *s == standard && *n == name && if out { *writes } else { *reads }
        })
    }

    /// The names Wharf reads or writes in `standard`, in table order (for error hints).
    pub fn names(standard: Standard, out: bool) -> impl Iterator<Item = &'static str> {
        NAMES
            .iter()
            .filter(move |(s, _, _, reads, writes)| {
                *s == standard && if out { *writes } else { *reads }
            })
            .map(|(_, _, n, ..)| *n)
    }

    /// The kind of a canonical business document; `None` for acknowledgements.
    pub fn of(doc: &super::Document) -> Option<Self> {
        use super::Document;
        match doc {
            Document::Order(_) => Some(Self::Order),
            Document::OrderAck(_) => Some(Self::OrderAck),
            Document::ShipNotice(_) => Some(Self::ShipNotice),
            Document::Invoice(_) => Some(Self::Invoice),
            Document::FunctionalAck(_) | Document::InterchangeAck(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_kinds_go_both_ways() {
        for (standard, kind, name, ..) in NAMES {
            assert_eq!(kind.name(*standard), Some(*name));
            assert_eq!(DocKind::from_name(*standard, name), Some(*kind));
        }
        assert_eq!(DocKind::Invoice.name(Standard::Edifact), None);
        assert_eq!(DocKind::from_name(Standard::X12, "DESADV"), None);
    }

    #[test]
    fn support_is_per_direction() {
        assert!(DocKind::supported(Standard::X12, "850", false));
        assert!(!DocKind::supported(Standard::X12, "850", true));
        assert!(DocKind::supported(Standard::Edifact, "ORDRSP", true));
        assert!(!DocKind::supported(Standard::Edifact, "ORDRSP", false));
        assert_eq!(
            DocKind::names(Standard::X12, true).collect::<Vec<_>>(),
            ["855", "856", "810"]
        );
    }
}
