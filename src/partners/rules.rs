//! Mapping rules (customer, items with a cross-reference table, units, ship-to, price
//! policy, defaults), validation strictness per rule, and limits, as a profile states them.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::Deserialize;

use super::Check;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMapping {
    customer_ref: Option<String>,
    item_id_order: Option<Vec<String>>,
    #[serde(default)]
    uom: BTreeMap<String, String>,
    /// Buyer part number → Odoo internal reference (`default_code`).
    #[serde(default)]
    items: BTreeMap<String, String>,
    /// Odoo carrier (`delivery.carrier` name) → the carrier's SCAC, as the partner's routing
    /// guide names it: the ship notice's TD5.
    #[serde(default)]
    carriers: BTreeMap<String, String>,
    ship_to: Option<RawShipTo>,
    price: Option<String>,
    price_tolerance: Option<String>,
    confirm: Option<bool>,
    #[serde(default)]
    defaults: RawDefaults,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShipTo {
    /// The delivery address's `ref` in Odoo, from the partner's location code: "{code}".
    #[serde(rename = "ref")]
    template: Option<String>,
    /// Codes that do not follow the template.
    #[serde(default)]
    codes: BTreeMap<String, String>,
    /// The `ref` used when an order names no location code.
    default: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    /// Odoo unit for lines that carry no unit code.
    uom: Option<String>,
    /// Odoo warehouse code (`stock.warehouse` `code`) orders ship from.
    warehouse: Option<String>,
}

/// Which of an order line's identifiers to try first when finding the ERP product
/// (`[mapping] item_id_order` names them as in the JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKey {
    /// The buyer's own part number, through the profile's `[mapping.items]` table.
    BuyerPart,
    /// The vendor's part number: Odoo's `default_code`.
    VendorPart,
    /// UPC or GTIN: Odoo's `barcode`.
    Gtin,
}

impl ItemKey {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BuyerPart => "buyer_part",
            Self::VendorPart => "vendor_part",
            Self::Gtin => "gtin",
        }
    }
}

/// Whose price an order line carries into Odoo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceSource {
    /// The price on the partner's order; Odoo's is compared and a difference flagged.
    Partner,
    /// Odoo's pricelist price; the partner's is compared and a difference flagged.
    Odoo,
}

/// How a ship-to location code becomes an Odoo delivery address `ref`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ShipToRule {
    pub template: String,
    pub codes: BTreeMap<String, String>,
    pub default: Option<String>,
}

impl ShipToRule {
    /// The `ref` for a location code (or for none).
    pub fn resolve(&self, code: Option<&str>) -> Option<String> {
        match code.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => Some(
                self.codes
                    .get(c)
                    .cloned()
                    .unwrap_or_else(|| self.template.replace("{code}", c)),
            ),
            None => self.default.clone(),
        }
    }
}

/// The profile's mapping rules.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MappingRules {
    /// The customer's `ref` in Odoo.
    pub customer_ref: String,
    pub item_id_order: Vec<ItemKey>,
    /// Buyer part number → Odoo `default_code`.
    pub items: BTreeMap<String, String>,
    /// Partner unit code → Odoo unit name.
    pub uom: BTreeMap<String, String>,
    pub default_uom: Option<String>,
    /// Odoo carrier name → SCAC (2–4 letters), for the ship notice's TD5.
    pub carriers: BTreeMap<String, String>,
    pub ship_to: ShipToRule,
    pub price: PriceSource,
    /// A difference between the two prices above this (per unit) is flagged.
    pub price_tolerance: Decimal,
    /// Confirm the sale order in Odoo as soon as it is created.
    pub confirm: bool,
    pub warehouse: Option<String>,
}

pub(super) fn mapping(raw: RawMapping, id: &str, check: &mut Check) -> MappingRules {
    let item_id_order: Vec<ItemKey> = match &raw.item_id_order {
        None => vec![ItemKey::BuyerPart, ItemKey::VendorPart, ItemKey::Gtin],
        Some(keys) => keys
            .iter()
            .filter_map(|k| {
                check.choice(
                    Some(k),
                    "mapping.item_id_order",
                    "an item key",
                    Some("use buyer_part, vendor_part or gtin"),
                )
            })
            .collect(),
    };
    if item_id_order.is_empty() {
        check.push(
            "mapping.item_id_order",
            "names no identifier, so no line could find its product".into(),
            None,
        );
    }
    for (field, map) in [("items", &raw.items), ("uom", &raw.uom)] {
        for (from, to) in map {
            if from.trim().is_empty() || to.trim().is_empty() {
                check.push(
                    &format!("mapping.{field}"),
                    format!("`{from}` = `{to}`: neither side may be empty"),
                    None,
                );
            }
        }
    }
    if !raw.items.is_empty() && !item_id_order.contains(&ItemKey::BuyerPart) {
        check.push(
            "mapping.items",
            "a buyer part table is given but item_id_order never uses buyer_part".into(),
            Some("add \"buyer_part\" to item_id_order"),
        );
    }
    let price = check
        .choice(
            raw.price.as_deref(),
            "mapping.price",
            "partner or odoo",
            Some("partner: take the PO price; odoo: take Odoo's; the other is compared"),
        )
        .unwrap_or(PriceSource::Partner);
    let price_tolerance = match raw.price_tolerance.as_deref() {
        None => Decimal::new(1, 2),
        Some(t) => match t.trim().parse::<Decimal>() {
            Ok(d) if d >= Decimal::ZERO => d,
            _ => {
                check.push(
                    "mapping.price_tolerance",
                    format!("`{t}` is not a non-negative amount"),
                    Some("a decimal in the order's currency per unit, as a string: \"0.01\""),
                );
                Decimal::ZERO
            }
        },
    };
    let ship = raw.ship_to.unwrap_or_default();
    let template = ship.template.unwrap_or_else(|| "{code}".into());
    if !template.contains("{code}") {
        check.push(
            "mapping.ship_to.ref",
            format!("`{template}` does not contain {{code}}"),
            Some("e.g. \"ACME-{code}\"; fixed addresses go in codes or default"),
        );
    }
    let text = |v: Option<String>, key: &str, check: &mut Check| {
        v.map(|s| s.trim().to_owned()).filter(|s| {
            if s.is_empty() {
                check.push(key, "is empty".into(), None);
            }
            !s.is_empty()
        })
    };
    for (name, scac) in &raw.carriers {
        if !(2..=4).contains(&scac.len()) || !scac.bytes().all(|b| b.is_ascii_uppercase()) {
            check.push(
                "mapping.carriers",
                format!("`{scac}` for carrier `{name}` is not a SCAC"),
                Some("a Standard Carrier Alpha Code is 2 to 4 capital letters, e.g. UPSN"),
            );
        }
    }
    MappingRules {
        customer_ref: text(raw.customer_ref, "mapping.customer_ref", check)
            .unwrap_or_else(|| id.to_uppercase()),
        item_id_order,
        items: raw.items,
        uom: raw.uom,
        default_uom: text(raw.defaults.uom, "mapping.defaults.uom", check),
        carriers: raw.carriers,
        ship_to: ShipToRule {
            template,
            codes: ship.codes,
            default: text(ship.default, "mapping.ship_to.default", check),
        },
        price,
        price_tolerance,
        confirm: raw.confirm.unwrap_or(false),
        warehouse: text(raw.defaults.warehouse, "mapping.defaults.warehouse", check),
    }
}

/// A rule whose breach the partner's profile may reject, warn about or accept (its name is
/// the key under `[strictness]`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// No identifier of a line finds a product under the profile's rules.
    ItemUnresolved,
    /// A unit code the profile's `uom` table does not map (and no default applies).
    UomUnmapped,
    /// The order's ship-to names no code and the profile has no default.
    ShipToUnresolved,
    /// A GTIN/UPC whose check digit is wrong.
    GtinCheckDigit,
    /// A line without a price while the profile takes the partner's price.
    PriceMissing,
    /// The partner's and Odoo's prices differ by more than the tolerance (the Odoo
    /// connector compares, as only it knows Odoo's price).
    PriceMismatch,
}

impl Rule {
    pub const ALL: [Rule; 6] = [
        Rule::ItemUnresolved,
        Rule::UomUnmapped,
        Rule::ShipToUnresolved,
        Rule::GtinCheckDigit,
        Rule::PriceMissing,
        Rule::PriceMismatch,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Rule::ItemUnresolved => "item_unresolved",
            Rule::UomUnmapped => "uom_unmapped",
            Rule::ShipToUnresolved => "ship_to_unresolved",
            Rule::GtinCheckDigit => "gtin_check_digit",
            Rule::PriceMissing => "price_missing",
            Rule::PriceMismatch => "price_mismatch",
        }
    }

    /// What happens when the profile does not say: an order Odoo cannot take is held, a
    /// doubtful one goes through with a warning.
    fn default_verdict(self) -> Verdict {
        match self {
            Rule::ItemUnresolved | Rule::ShipToUnresolved => Verdict::Reject,
            _ => Verdict::Warn,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a breach of a rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The document is held in quarantine with the reason; replay once the profile (or the
    /// partner) is fixed.
    Reject,
    /// It goes on; the breach is a warning in the message's history.
    Warn,
    /// It goes on silently.
    Accept,
}

/// The verdict for each rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Strictness(BTreeMap<Rule, Verdict>);

impl Strictness {
    pub fn verdict(&self, rule: Rule) -> Verdict {
        self.0
            .get(&rule)
            .copied()
            .unwrap_or_else(|| rule.default_verdict())
    }
}

pub(super) fn strictness(raw: &BTreeMap<String, String>, check: &mut Check) -> Strictness {
    let mut out = BTreeMap::new();
    for (name, verdict) in raw {
        let key = format!("strictness.{name}");
        let all: Vec<&str> = Rule::ALL.iter().map(|r| r.as_str()).collect();
        let Some(rule) = check.choice(Some(name), &key, "a rule", Some(&all.join(", "))) else {
            continue;
        };
        if let Some(v) = check.choice(Some(verdict), &key, "reject, warn or accept", None) {
            out.insert(rule, v);
        }
    }
    Strictness(out)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReceipts {
    validate: Option<bool>,
    backorder: Option<bool>,
}

/// What a supplier's ship notice does to the Odoo receipt of its purchase order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ReceiptRules {
    /// Validate the receipt once the shipped quantities are written (default: leave it
    /// ready for the warehouse to check on arrival).
    pub validate: bool,
    /// When validating a short shipment: keep the rest open as a backorder (default) or
    /// close it.
    pub backorder: bool,
}

pub(super) fn receipts(raw: &RawReceipts) -> ReceiptRules {
    ReceiptRules {
        validate: raw.validate.unwrap_or(false),
        backorder: raw.backorder.unwrap_or(true),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSla {
    ack_within: Option<String>,
    order_ack_within: Option<String>,
}

/// The partner's windows: beyond them the dashboard calls an acknowledgement overdue (the
/// fines retailers charge start here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Sla {
    /// Its 997/999/CONTRL for what Wharf sent (default 24 h).
    pub ack_within: std::time::Duration,
    /// Wharf's 855/ORDRSP for an order it sent (default 24 h).
    pub order_ack_within: std::time::Duration,
}

impl Default for Sla {
    /// A day for each.
    fn default() -> Self {
        let day = std::time::Duration::from_secs(86_400);
        Sla {
            ack_within: day,
            order_ack_within: day,
        }
    }
}

pub(super) fn sla(raw: &RawSla, check: &mut Check) -> Sla {
    let mut window = |key: &str, text: Option<&str>, default: std::time::Duration| match text {
        None => default,
        Some(t) => match super::channels::parse_interval(t) {
            Some(d) if d >= std::time::Duration::from_secs(60) => d,
            _ => {
                check.push(
                    key,
                    format!("`{t}` is not an interval of at least 1m"),
                    Some("e.g. \"24h\", \"90m\" or \"2d\""),
                );
                default
            }
        },
    };
    let d = Sla::default();
    Sla {
        ack_within: window("sla.ack_within", raw.ack_within.as_deref(), d.ack_within),
        order_ack_within: window(
            "sla.order_ack_within",
            raw.order_ack_within.as_deref(),
            d.order_ack_within,
        ),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLimits {
    max_file_bytes: Option<u64>,
    per_minute: Option<u32>,
}

/// What one partner may send.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Limits {
    /// Larger messages are refused before they are stored (HTTP 413 on the partner API).
    pub max_file_bytes: Option<u64>,
    /// Messages a minute on the partner API beyond which it answers 429.
    pub per_minute: Option<u32>,
}

pub(super) fn limits(raw: &RawLimits, check: &mut Check) -> Limits {
    if raw.max_file_bytes == Some(0) {
        check.push(
            "limits.max_file_bytes",
            "0 would refuse everything".into(),
            None,
        );
    }
    if raw.per_minute == Some(0) {
        check.push(
            "limits.per_minute",
            "0 would refuse everything".into(),
            None,
        );
    }
    Limits {
        max_file_bytes: raw.max_file_bytes,
        per_minute: raw.per_minute,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ship_to_codes_take_exceptions_then_the_template_then_the_default() {
        let rule = ShipToRule {
            template: "ACME-{code}".into(),
            codes: BTreeMap::from([("0001".into(), "ACME-HQ".into())]),
            default: Some("ACME-DC".into()),
        };
        assert_eq!(rule.resolve(Some("0042")).as_deref(), Some("ACME-0042"));
        assert_eq!(rule.resolve(Some("0001")).as_deref(), Some("ACME-HQ"));
        assert_eq!(rule.resolve(Some("  ")).as_deref(), Some("ACME-DC"));
        assert_eq!(rule.resolve(None).as_deref(), Some("ACME-DC"));
    }

    #[test]
    fn strictness_defaults_hold_what_odoo_cannot_take() {
        let s = Strictness::default();
        assert_eq!(s.verdict(Rule::ItemUnresolved), Verdict::Reject);
        assert_eq!(s.verdict(Rule::UomUnmapped), Verdict::Warn);
    }
}
