//! Canonical invoice (X12 810, EDIFACT INVOIC later). Must not depend on any EDI syntax, I/O, async or the database.

use super::{ItemId, Party, SourceRef, Text, order_ack::Reference, ship_notice::Carrier};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// X12 BIG07 (code list 640).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvoiceType {
    /// DI
    DebitInvoice,
    /// CR
    CreditMemo,
    Other(Text),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invoice {
    pub invoice_number: Text,
    /// ISO date YYYY-MM-DD.
    pub invoice_date: Text,
    pub po_number: Option<Text>,
    /// ISO date YYYY-MM-DD.
    pub po_date: Option<Text>,
    pub release_number: Option<Text>,
    pub invoice_type: Option<InvoiceType>,
    pub currency: Option<Text>,
    pub references: Vec<Reference>,
    pub parties: Vec<Party>,
    pub terms: Option<PaymentTerms>,
    /// ISO date YYYY-MM-DD shipped.
    pub ship_date: Option<Text>,
    pub lines: Vec<InvoiceLine>,
    /// Total amount due, 2 decimals at most (X12 TDS01 carries it in cents).
    pub total: Decimal,
    pub carrier: Option<Carrier>,
    pub source: SourceRef,
}

/// Terms of sale (X12 ITD).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentTerms {
    /// e.g. "01" basic, "05" discount not applicable.
    pub type_code: Option<Text>,
    /// e.g. "3" invoice date.
    pub basis_date_code: Option<Text>,
    pub discount_percent: Option<Decimal>,
    /// ISO date YYYY-MM-DD.
    pub discount_due_date: Option<Text>,
    pub discount_days: Option<u32>,
    /// ISO date YYYY-MM-DD.
    pub net_due_date: Option<Text>,
    pub net_days: Option<u32>,
    pub discount_amount: Option<Decimal>,
    pub description: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub line_number: Option<Text>,
    /// Serialized as a string, never a float.
    pub quantity: Decimal,
    pub uom: Option<Text>,
    pub unit_price: Decimal,
    pub price_basis: Option<Text>,
    pub item_ids: Vec<ItemId>,
    pub description: Option<Text>,
}
