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
    /// Taxes on the whole invoice (X12 `TXI` in the summary). With `charges`, they make
    /// `total` add up: Σ line amounts + charges − allowances + taxes = total.
    #[serde(default)]
    pub taxes: Vec<InvoiceTax>,
    /// Allowances and charges on the whole invoice (X12 `SAC` in the summary): freight,
    /// discounts, handling.
    #[serde(default)]
    pub charges: Vec<AllowanceCharge>,
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

/// One tax on the invoice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceTax {
    /// X12 963 tax type: `TX` all taxes, `ST` state sales tax, `VA` value added tax, `GS`
    /// goods and services tax, … (an open standard list, kept as sent).
    pub tax_type: Text,
    pub amount: Decimal,
    /// The rate in percent, when one rate applies.
    pub percent: Option<Decimal>,
}

/// Whether an amount is taken off or added on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChargeKind {
    /// SAC01 `A`: taken off the total.
    Allowance,
    /// SAC01 `C`: added to the total.
    Charge,
}

/// An allowance or a charge on the whole invoice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AllowanceCharge {
    pub kind: ChargeKind,
    /// X12 1300 code: `D240` freight, `C310` discount, `D500` handling, …
    pub code: Option<Text>,
    /// Always positive; `kind` gives the sign.
    pub amount: Decimal,
    pub description: Option<Text>,
}

impl Invoice {
    /// Σ line amounts + charges − allowances + taxes: what `total` must equal.
    pub fn computed_total(&self) -> Decimal {
        let lines: Decimal = self.lines.iter().map(|l| l.quantity * l.unit_price).sum();
        let charges: Decimal = self
            .charges
            .iter()
            .map(|c| match c.kind {
                ChargeKind::Allowance => -c.amount,
                ChargeKind::Charge => c.amount,
            })
            .sum();
        let taxes: Decimal = self.taxes.iter().map(|t| t.amount).sum();
        lines + charges + taxes
    }
}
