//! The map stage's pure part: a canonical order shaped for the ERP by the partner's rules
//! (customer, items through the cross-reference table, GTINs, units, ship-to, price policy,
//! defaults), every breach judged by the profile's strictness.
//!
//! The result is ERP-neutral: the Odoo connector turns a [`MappedOrder`] into `sale.order`
//! values (`erp::odoo::plan` shows exactly which). Depends on `model` and `partners` only.

mod receipt;

pub use receipt::{MappedReceipt, ReceiptLine, ReceiptOrder, map_ship_notice};

use rust_decimal::Decimal;

use crate::model::{ItemIdQualifier, Order, OrderPurpose, PartyRole};
use crate::partners::{ItemKey, PriceSource, Profile, Rule, Verdict};

/// The Odoo product field a line's product is found by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductField {
    /// Internal reference: the vendor part, or the buyer part after the profile's table.
    DefaultCode,
    /// UPC or GTIN.
    Barcode,
    /// A supplier's own code for the product (`product.supplierinfo` `product_code`).
    SupplierCode,
}

/// How a line's product is to be found in the ERP.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProductKey {
    /// Which of the partner's identifiers was used: `buyer_part`, `vendor_part` or `gtin`.
    pub kind: String,
    /// The partner's value, as it sent it.
    pub value: String,
    /// The Odoo field searched and the value searched for (after the cross-reference).
    pub field: ProductField,
    pub lookup: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MappedLine {
    pub line_ref: Option<String>,
    pub product: Option<ProductKey>,
    pub quantity: Decimal,
    /// The ERP's unit name after the profile's code map (the partner's code when unmapped).
    pub uom: Option<String>,
    /// The partner's price; whether it or Odoo's is used is the order's `price_source`.
    pub price: Option<Decimal>,
    pub description: Option<String>,
}

/// An order ready for the ERP connector.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MappedOrder {
    pub partner: String,
    /// The customer's `ref` in the ERP.
    pub customer_ref: String,
    /// The partner's PO number; with `partner` it identifies the order exactly once.
    pub client_order_ref: String,
    /// A stable external ID for the ERP record, derived from partner and PO number.
    pub external_id: String,
    /// The order's purpose as the canonical model has it: the connector creates an order for
    /// `Original`, and updates or cancels the existing one for `Change`/`Replace`/`Cancellation`.
    pub purpose: OrderPurpose,
    pub order_date: Option<String>,
    pub requested_date: Option<String>,
    /// The delivery address's `ref` in the ERP, from the ship-to code by the profile's rule.
    pub ship_to_ref: Option<String>,
    /// The partner's own location code (N1*ST N104, NAD+DP), as sent.
    pub ship_to_code: Option<String>,
    pub ship_to_name: Option<String>,
    pub lines: Vec<MappedLine>,
    pub notes: Vec<String>,
    /// Whose price the lines carry; the other is compared within `price_tolerance`.
    #[serde(default = "partner_price")]
    pub price_source: PriceSource,
    #[serde(default)]
    pub price_tolerance: Decimal,
    /// Confirm the sale order on creation.
    #[serde(default)]
    pub confirm: bool,
    /// The warehouse code the order ships from, when the profile names one.
    #[serde(default)]
    pub warehouse: Option<String>,
    /// What a partner price outside the tolerance of Odoo's does (`[strictness]
    /// price_mismatch`): judged by the connector, which alone knows Odoo's price.
    #[serde(default = "warn")]
    pub price_mismatch: Verdict,
}

fn warn() -> Verdict {
    Verdict::Warn
}

/// One document shaped for the ERP: what the map stage stores and deliver hands over.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Mapped {
    /// A customer's order: a sale order.
    Order(MappedOrder),
    /// A supplier's ship notice: quantities on the receipts of our purchase orders.
    Receipt(MappedReceipt),
}

impl Mapped {
    /// The kind and key the document registry keeps it once under.
    pub fn registry_key(&self) -> (&'static str, &str) {
        match self {
            Mapped::Order(o) => ("order", &o.client_order_ref),
            Mapped::Receipt(r) => ("receipt", &r.shipment_id),
        }
    }
}

fn partner_price() -> PriceSource {
    PriceSource::Partner
}

/// A breach of one of the profile's rules, with the verdict its strictness gives.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub rule: Rule,
    pub verdict: Verdict,
    pub text: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]", self.text, self.rule)
    }
}

fn matches(k: ItemKey, kind: &ItemIdQualifier) -> bool {
    matches!(
        (k, kind),
        (ItemKey::BuyerPart, ItemIdQualifier::BuyerPart)
            | (ItemKey::VendorPart, ItemIdQualifier::VendorPart)
            | (ItemKey::Gtin, ItemIdQualifier::Gtin | ItemIdQualifier::Upc)
    )
}

/// Collects findings, dropping what the profile accepts.
pub(crate) struct Judge<'a> {
    pub(crate) profile: &'a Profile,
    pub(crate) found: &'a mut Vec<Finding>,
}

impl Judge<'_> {
    pub(crate) fn breach(&mut self, rule: Rule, text: String) {
        let verdict = self.profile.strictness.verdict(rule);
        if verdict != Verdict::Accept {
            self.found.push(Finding {
                rule,
                verdict,
                text,
            });
        }
    }
}

/// Which side of the trade the partner is on in a document: it decides what its "buyer
/// part" and "vendor part" numbers are in Odoo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// The partner buys from us: its buyer part goes through `[mapping.items]`, the vendor
    /// part is our `default_code`.
    Customer,
    /// The partner sells to us: the buyer part is our `default_code`, the vendor part its
    /// own code on the product's vendor line (`seller_ids.product_code`).
    Supplier,
}

/// The product key of one line: the first identifier, in the profile's order, that the
/// rules can turn into an Odoo lookup. `what` names the line in findings ("PO 1 line 2").
pub(crate) fn product_of(
    ids: &[crate::model::ItemId],
    side: Side,
    what: &str,
    judge: &mut Judge,
) -> Option<ProductKey> {
    let rules = &judge.profile.mapping;
    let mut tried = Vec::new();
    for key in &rules.item_id_order {
        for id in ids.iter().filter(|id| matches(*key, &id.qualifier)) {
            let value = id.value.trim();
            let (field, lookup) = match (key, side) {
                (ItemKey::BuyerPart, Side::Supplier) => {
                    (ProductField::DefaultCode, value.to_owned())
                }
                (ItemKey::VendorPart, Side::Supplier) => {
                    (ProductField::SupplierCode, value.to_owned())
                }
                (ItemKey::BuyerPart, Side::Customer) => match rules.items.get(value) {
                    Some(code) => (ProductField::DefaultCode, code.clone()),
                    None => {
                        tried.push(format!("buyer part {value} is not in [mapping.items]"));
                        continue;
                    }
                },
                (ItemKey::VendorPart, Side::Customer) => {
                    (ProductField::DefaultCode, value.to_owned())
                }
                (ItemKey::Gtin, _) => {
                    if let Err(e) = crate::edi::gs1::check_gtin(value) {
                        judge.breach(Rule::GtinCheckDigit, format!("{what}: GTIN {value}: {e}"));
                        tried.push(format!("GTIN {value} is not valid"));
                        continue;
                    }
                    (ProductField::Barcode, value.to_owned())
                }
            };
            return Some(ProductKey {
                kind: key.as_str().to_owned(),
                value: value.to_owned(),
                field,
                lookup,
            });
        }
    }
    let accepted: Vec<&str> = rules.item_id_order.iter().map(|k| k.as_str()).collect();
    let why = if tried.is_empty() {
        format!(
            "none of the identifiers the profile accepts ({}) is present",
            accepted.join(", ")
        )
    } else {
        tried.join("; ")
    };
    judge.breach(Rule::ItemUnresolved, format!("{what}: no product: {why}"));
    None
}

/// Maps one order. Each breach of the profile's rules is judged by its strictness and
/// kept in `findings` (accepted ones are dropped); the caller holds the order when any
/// finding's verdict is `Reject`.
pub fn map_order(profile: &Profile, order: &Order, findings: &mut Vec<Finding>) -> MappedOrder {
    let rules = &profile.mapping;
    let mut judge = Judge {
        profile,
        found: findings,
    };
    let po = order.po_number.as_str();
    let ship_to = order.parties.iter().find(|p| p.role == PartyRole::ShipTo);
    let ship_to_code = ship_to.and_then(|p| p.id.as_deref().map(String::from));
    let ship_to_ref = rules.ship_to.resolve(ship_to_code.as_deref());
    if ship_to_ref.is_none() {
        judge.breach(
            Rule::ShipToUnresolved,
            format!(
                "PO {po}: the order names no ship-to location code and the profile has no \
                 [mapping.ship_to] default"
            ),
        );
    }
    let lines = order
        .lines
        .iter()
        .map(|line| {
            let what = format!("PO {po} line {}", line.line_number);
            let product = product_of(&line.item_ids, Side::Customer, &what, &mut judge);
            let uom = match line.uom.as_deref() {
                Some(code) => Some(match rules.uom.get(code) {
                    Some(name) => name.clone(),
                    None => {
                        judge.breach(
                            Rule::UomUnmapped,
                            format!(
                                "PO {po} line {}: unit {code} is not in [mapping] uom; sent \
                                 to Odoo as {code}",
                                line.line_number
                            ),
                        );
                        code.to_owned()
                    }
                }),
                None => rules.default_uom.clone(),
            };
            if line.unit_price.is_none() && rules.price == PriceSource::Partner {
                judge.breach(
                    Rule::PriceMissing,
                    format!(
                        "PO {po} line {}: no price while the profile takes the partner's; \
                         Odoo's applies",
                        line.line_number
                    ),
                );
            }
            MappedLine {
                line_ref: (!line.line_number.is_empty()).then(|| line.line_number.to_string()),
                product,
                quantity: line.quantity,
                uom,
                price: line.unit_price,
                description: line.description.as_deref().map(String::from),
            }
        })
        .collect();
    MappedOrder {
        partner: profile.id.to_string(),
        customer_ref: rules.customer_ref.clone(),
        external_id: external_id(profile.id.as_str(), po),
        client_order_ref: po.to_owned(),
        purpose: order.purpose.clone(),
        order_date: order.po_date.as_deref().map(String::from),
        requested_date: order.requested_delivery_date.as_deref().map(String::from),
        ship_to_ref,
        ship_to_code,
        ship_to_name: ship_to.and_then(|p| p.name.as_deref().map(String::from)),
        lines,
        notes: order.notes.iter().map(|n| n.to_string()).collect(),
        price_source: rules.price,
        price_tolerance: rules.price_tolerance,
        confirm: rules.confirm,
        price_mismatch: profile.strictness.verdict(Rule::PriceMismatch),
        warehouse: rules.warehouse.clone(),
    }
}

pub use crate::util::files::escape_bytes;

/// A name for Odoo that two different inputs never share: ASCII letters and digits as they
/// are, every other byte (`_` too) as `_XX`. The result never holds `__`, which keys use to
/// join escaped parts.
pub fn escape_key(s: &str) -> String {
    escape_bytes(s, |b| b.is_ascii_alphanumeric())
}

/// The order's `ir.model.data` name: `order_<partner>__<PO>`, both escaped with
/// [`escape_key`], so different PO numbers (`PO-7`, `PO.7`, `PO_7`) or partners never share it.
pub fn external_id(partner: &str, po: &str) -> String {
    format!("order_{}__{}", escape_key(partner), escape_key(po))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{OrderLine, Party, SourceRef};
    use crate::partners::parse_profile;

    fn profile(extra: &str) -> Profile {
        let text = format!(
            "id = \"acme\"\nname = \"ACME\"\n[x12]\nqualifier = \"ZZ\"\nid = \"ACME\"\n{extra}"
        );
        parse_profile(std::path::Path::new("partners/acme.toml"), &text).expect("profile")
    }

    fn line(ids: &[(ItemIdQualifier, &str)], uom: Option<&str>, price: Option<&str>) -> OrderLine {
        OrderLine {
            line_number: "1".into(),
            quantity: Decimal::new(10, 0),
            uom: uom.map(Into::into),
            unit_price: price.map(|p| p.parse().expect("decimal")),
            item_ids: ids
                .iter()
                .map(|(q, v)| crate::model::ItemId {
                    qualifier: q.clone(),
                    value: (*v).into(),
                })
                .collect(),
            description: None,
        }
    }

    fn order(lines: Vec<OrderLine>, ship_to_code: Option<&str>) -> Order {
        let t = crate::model::Text::default;
        Order {
            purpose: OrderPurpose::Original,
            po_number: "PO-1".into(),
            po_date: None,
            order_type: None,
            currency: None,
            parties: ship_to_code
                .map(|code| Party {
                    role: PartyRole::ShipTo,
                    name: None,
                    additional_names: Vec::new(),
                    id_qualifier: Some("92".into()),
                    id: Some(code.into()),
                    address_lines: Vec::new(),
                    city: None,
                    state: None,
                    postal_code: None,
                    country: None,
                })
                .into_iter()
                .collect(),
            lines,
            notes: Vec::new(),
            requested_delivery_date: None,
            requested_ship_date: None,
            source: SourceRef {
                standard: "X12".into(),
                version: t(),
                interchange_control: t(),
                group_control: t(),
                set_control: t(),
                sender_id: t(),
                receiver_id: t(),
            },
        }
    }

    /// One line with these identifiers, no unit, price 1, ship-to code 1.
    fn single(ids: &[(ItemIdQualifier, &str)]) -> Order {
        order(vec![line(ids, None, Some("1"))], Some("1"))
    }

    #[test]
    fn buyer_part_goes_through_the_cross_reference_table() {
        let p = profile("[mapping.items]\n\"ACME-001\" = \"WID-1\"\n");
        let o = single(&[
            (ItemIdQualifier::BuyerPart, "ACME-001"),
            (ItemIdQualifier::VendorPart, "OTHER"),
        ]);
        let mut f = Vec::new();
        let m = map_order(&p, &o, &mut f);
        let k = m.lines[0].product.as_ref().expect("product");
        assert_eq!(
            (
                k.kind.as_str(),
                k.value.as_str(),
                k.field,
                k.lookup.as_str()
            ),
            ("buyer_part", "ACME-001", ProductField::DefaultCode, "WID-1")
        );
        // A buyer part the table lacks falls through to the next identifier.
        let o = single(&[
            (ItemIdQualifier::BuyerPart, "ACME-999"),
            (ItemIdQualifier::VendorPart, "WID-9"),
        ]);
        let m = map_order(&p, &o, &mut f);
        let k = m.lines[0].product.as_ref().expect("product");
        assert_eq!(
            (k.kind.as_str(), k.lookup.as_str()),
            ("vendor_part", "WID-9")
        );
        // With nothing else to try the order is held: item_unresolved rejects by default.
        let o = single(&[(ItemIdQualifier::BuyerPart, "ACME-999")]);
        f.clear();
        let m = map_order(&p, &o, &mut f);
        assert!(m.lines[0].product.is_none());
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            (f[0].rule, f[0].verdict),
            (Rule::ItemUnresolved, Verdict::Reject)
        );
        assert!(
            f[0].text
                .contains("buyer part ACME-999 is not in [mapping.items]"),
            "{}",
            f[0]
        );
    }

    #[test]
    fn gtin_is_the_barcode_and_a_bad_check_digit_is_judged() {
        let p = profile("[mapping]\nitem_id_order = [\"gtin\", \"vendor_part\"]\n");
        let o = single(&[
            (ItemIdQualifier::Upc, "012345678905"),
            (ItemIdQualifier::VendorPart, "WID-1"),
        ]);
        let mut f = Vec::new();
        let m = map_order(&p, &o, &mut f);
        let k = m.lines[0].product.as_ref().expect("product");
        assert_eq!(
            (k.field, k.lookup.as_str()),
            (ProductField::Barcode, "012345678905")
        );
        assert!(f.is_empty(), "{f:?}");
        // Wrong check digit: warned (default), and the vendor part is used instead.
        let o = single(&[
            (ItemIdQualifier::Upc, "012345678900"),
            (ItemIdQualifier::VendorPart, "WID-1"),
        ]);
        let m = map_order(&p, &o, &mut f);
        assert_eq!(
            m.lines[0].product.as_ref().map(|k| k.kind.as_str()),
            Some("vendor_part")
        );
        assert_eq!(
            (f[0].rule, f[0].verdict),
            (Rule::GtinCheckDigit, Verdict::Warn)
        );
        assert!(f[0].text.contains("check digit"), "{}", f[0]);
        // A profile that accepts bad check digits hears nothing of them.
        let p = profile(
            "[mapping]\nitem_id_order = [\"gtin\", \"vendor_part\"]\n[strictness]\ngtin_check_digit = \"accept\"\n",
        );
        f.clear();
        map_order(&p, &o, &mut f);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn units_map_by_code_with_a_default_and_strictness() {
        let p = profile(
            "[mapping]\nuom = { EA = \"Units\", CA = \"Case of 12\" }\n[mapping.defaults]\nuom = \"Units\"\n[strictness]\nuom_unmapped = \"reject\"\n",
        );
        let o = order(
            vec![
                line(&[(ItemIdQualifier::VendorPart, "A")], Some("CA"), Some("1")),
                line(&[(ItemIdQualifier::VendorPart, "B")], None, Some("1")),
                line(&[(ItemIdQualifier::VendorPart, "C")], Some("BX"), Some("1")),
            ],
            Some("1"),
        );
        let mut f = Vec::new();
        let m = map_order(&p, &o, &mut f);
        let units: Vec<Option<&str>> = m.lines.iter().map(|l| l.uom.as_deref()).collect();
        assert_eq!(units, vec![Some("Case of 12"), Some("Units"), Some("BX")]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            (f[0].rule, f[0].verdict),
            (Rule::UomUnmapped, Verdict::Reject)
        );
        assert!(f[0].text.contains("unit BX"), "{}", f[0]);
    }

    #[test]
    fn ship_to_resolves_by_template_exception_or_default() {
        let p = profile(
            "[mapping.ship_to]\nref = \"ACME-{code}\"\ncodes = { \"0001\" = \"ACME-HQ\" }\n",
        );
        let l = || vec![line(&[(ItemIdQualifier::VendorPart, "A")], None, Some("1"))];
        let mut f = Vec::new();
        let m = map_order(&p, &order(l(), Some("0042")), &mut f);
        assert_eq!(m.ship_to_ref.as_deref(), Some("ACME-0042"));
        assert_eq!(m.ship_to_code.as_deref(), Some("0042"));
        let m = map_order(&p, &order(l(), Some("0001")), &mut f);
        assert_eq!(m.ship_to_ref.as_deref(), Some("ACME-HQ"));
        assert!(f.is_empty(), "{f:?}");
        // No code and no default: held.
        let m = map_order(&p, &order(l(), None), &mut f);
        assert_eq!(m.ship_to_ref, None);
        assert_eq!(
            (f[0].rule, f[0].verdict),
            (Rule::ShipToUnresolved, Verdict::Reject)
        );
        let p = profile("[mapping.ship_to]\ndefault = \"ACME-DC\"\n");
        f.clear();
        let m = map_order(&p, &order(l(), None), &mut f);
        assert_eq!(m.ship_to_ref.as_deref(), Some("ACME-DC"));
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn keys_are_injective() {
        // Issue 17: these were one key (and one file, one Odoo order) before.
        let pos = [
            "COLL/1", "COLL_1", "COLL 1", ".COLL_1", "COLL?1", "PO-7", "PO.7", "PO_7",
        ];
        let ids: std::collections::BTreeSet<String> =
            pos.iter().map(|po| external_id("acme", po)).collect();
        assert_eq!(ids.len(), pos.len(), "{ids:?}");
        // Partner and PO cannot trade characters.
        assert_ne!(external_id("a_b", "c"), external_id("a", "b_c"));
        assert_ne!(external_id("a-b", "c"), external_id("a", "b-c"));
        for po in pos {
            let e = escape_key(po);
            assert!(
                e.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
                "{e}"
            );
            assert!(!e.contains("__"), "{e}");
        }
    }
}
