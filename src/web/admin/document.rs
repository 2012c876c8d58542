//! A message's stored bytes and documents laid out for reading on its page: the raw bytes
//! one segment per line (`lay_out`); each canonical document's
//! header fields as a key/value list (parties, references, dates) and its lines as tables;
//! the planned ERP changes as one row per change (model, operation, keys, lines).
//!
//! Read from the stored JSON as values, not as the pipeline's types: the web edge does not
//! know the mapping's insides, and a document of a kind this page has no words for still
//! shows, with its keys as headings.

use serde_json::{Map, Value};

/// One canonical document.
pub(crate) struct DocView {
    /// `Order PO-4711`.
    pub title: String,
    /// Header fields: references, dates, parties (one entry each, the role as the key).
    pub fields: Vec<(String, String)>,
    /// Its lists of records (an order's lines, a ship notice's packs): a table each.
    pub tables: Vec<TableView>,
}

pub(crate) struct TableView {
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// One planned change in the ERP.
pub(crate) struct PlanRow {
    pub model: String,
    pub operation: String,
    pub keys: String,
    pub lines: usize,
}

/// Header keys shown first, in this order; the rest follow alphabetically.
const HEADER_FIRST: &[&str] = &[
    "po_number",
    "shipment_id",
    "invoice_number",
    "purpose",
    "po_date",
    "invoice_date",
    "ship_date",
    "order_type",
    "currency",
    "requested_delivery_date",
    "requested_ship_date",
];

/// Line columns shown first, in this order.
const COLUMNS_FIRST: &[&str] = &[
    "line_number",
    "line_ref",
    "item_ids",
    "product",
    "description",
    "quantity",
    "uom",
    "unit_price",
    "price",
];

/// Words for the keys an operator reads most; others are their key with spaces.
fn heading(key: &str) -> String {
    match key {
        "po_number" => "PO number".into(),
        "po_date" => "PO date".into(),
        "line_number" | "line_ref" => "Line".into(),
        "item_ids" => "Item ids".into(),
        "uom" => "Unit".into(),
        "unit_price" | "price" => "Price".into(),
        "source" => "Envelope".into(),
        _ => {
            let mut s = key.replace('_', " ");
            if let Some(first) = s.get(..1) {
                let up = first.to_uppercase();
                s.replace_range(..1, &up);
            }
            s
        }
    }
}

/// A value in one cell: text as it is, an id list as `Gtin 00614141000012`, a record as
/// its fields, a list of records as how many there are.
fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
            let ids: Option<Vec<String>> = items
                .iter()
                .map(|i| {
                    let (q, val) = (i.get("qualifier")?, i.get("value")?);
                    Some(format!("{} {}", text(q), text(val)))
                })
                .collect();
            ids.map_or_else(|| format!("{} entries", items.len()), |ids| ids.join(", "))
        }
        Value::Array(items) => items
            .iter()
            .map(text)
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("; "),
        Value::Object(o) => o
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{} {}", heading(k).to_lowercase(), text(v)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// A party as one line: name, id with its qualifier, address.
fn party(o: &Map<String, Value>) -> (String, String) {
    let field = |k: &str| o.get(k).map(text).unwrap_or_default();
    let mut parts = Vec::new();
    let name = field("name");
    if !name.is_empty() {
        parts.push(name);
    }
    let id = field("id");
    if !id.is_empty() {
        let q = field("id_qualifier");
        parts.push(if q.is_empty() {
            format!("id {id}")
        } else {
            format!("id {q}:{id}")
        });
    }
    let place: Vec<String> = ["address_lines", "city", "state", "postal_code", "country"]
        .iter()
        .map(|k| field(k))
        .filter(|t| !t.is_empty())
        .collect();
    if !place.is_empty() {
        parts.push(place.join(", "));
    }
    let role = text(o.get("role").unwrap_or(&Value::Null));
    (words(&role), parts.join(" · "))
}

/// A party's role in words: `ShipTo` → `Ship to`.
fn words(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn ordered<'a>(keys: impl Iterator<Item = &'a String>, first: &[&str]) -> Vec<String> {
    let mut keys: Vec<String> = keys.cloned().collect();
    keys.sort_by_key(|k| {
        (
            first.iter().position(|f| f == k).unwrap_or(first.len()),
            k.clone(),
        )
    });
    keys.dedup();
    keys
}

fn table(key: &str, items: &[Value]) -> TableView {
    let columns = ordered(
        items
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|o| o.keys()),
        COLUMNS_FIRST,
    );
    TableView {
        title: heading(key),
        rows: items
            .iter()
            .map(|i| {
                columns
                    .iter()
                    .map(|c| i.get(c).map(text).unwrap_or_default())
                    .collect()
            })
            .collect(),
        columns: columns.iter().map(|c| heading(c)).collect(),
    }
}

fn document(o: &Map<String, Value>) -> DocView {
    let kind = o
        .get("type")
        .or_else(|| o.get("kind"))
        .map(text)
        .unwrap_or_default();
    let reference = [
        "po_number",
        "shipment_id",
        "invoice_number",
        "client_order_ref",
    ]
    .iter()
    .find_map(|k| o.get(*k).map(text));
    let mut fields = Vec::new();
    let mut tables = Vec::new();
    for key in ordered(o.keys(), HEADER_FIRST) {
        let Some(v) = o.get(&key) else { continue };
        match v {
            _ if key == "type" || key == "kind" => {}
            Value::Array(items) if key == "parties" => {
                fields.extend(items.iter().filter_map(Value::as_object).map(party));
            }
            Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => {
                tables.push(table(&key, items));
            }
            Value::Null => {}
            Value::Array(items) if items.is_empty() => {}
            _ => fields.push((heading(&key), text(v))),
        }
    }
    DocView {
        title: match reference {
            Some(r) => format!("{kind} {r}"),
            None => kind,
        },
        fields,
        tables,
    }
}

/// Raw bytes laid out for reading: X12 and EDIFACT one segment per line with its tag apart,
/// split with the delimiters the engines read from the ISA (`delimiters_at`) or the UNA
/// (`ServiceChars::from_una`; a released terminator does not split); anything else as text
/// (invalid UTF-8 shown as replacement characters).
pub(crate) fn lay_out(raw: &[u8]) -> (Vec<(String, String)>, String) {
    use crate::edi::edifact::ServiceChars;
    let start = raw
        .iter()
        .position(|b| b.is_ascii_alphabetic())
        .unwrap_or(raw.len());
    let body = &raw[start..];
    let (terminator, release) = if body.starts_with(b"ISA") {
        match crate::edi::x12::envelope::delimiters_at(raw, start) {
            Ok(d) => (d.segment, None),
            Err(_) => return (Vec::new(), String::from_utf8_lossy(raw).into_owned()),
        }
    } else if body.starts_with(b"UNA") || body.starts_with(b"UNB") {
        let chars = if body.starts_with(b"UNA") {
            body.get(3..9)
                .and_then(|six| ServiceChars::from_una(six).ok())
                .unwrap_or(ServiceChars::DEFAULT)
        } else {
            ServiceChars::DEFAULT
        };
        (chars.segment, chars.release)
    } else {
        return (Vec::new(), String::from_utf8_lossy(raw).into_owned());
    };
    let mut segments = Vec::new();
    let mut from = 0;
    let mut i = 0;
    while i < body.len() && segments.len() < 20_000 {
        if Some(body[i]) == release {
            i += 2;
            continue;
        }
        if body[i] == terminator {
            push_segment(&mut segments, &body[from..=i]);
            from = i + 1;
        }
        i += 1;
    }
    if from < body.len() && segments.len() < 20_000 {
        push_segment(&mut segments, &body[from..]);
    }
    (segments, String::new())
}

/// One segment as (tag, the rest with its terminator), blank ones skipped.
fn push_segment(out: &mut Vec<(String, String)>, seg: &[u8]) {
    let text = String::from_utf8_lossy(seg);
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    let cut = text
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(text.len());
    out.push((text[..cut].to_owned(), text[cut..].to_owned()));
}

/// The documents of a stored canonical payload (a list of documents, or one).
pub(crate) fn documents(json: &str) -> Vec<DocView> {
    serde_json::from_str::<Value>(json)
        .map(|v| documents_of(&v))
        .unwrap_or_default()
}

/// The documents of a canonical value (a list of documents, or one): the stored payload,
/// or a dry run's `document`.
pub(crate) fn documents_of(v: &Value) -> Vec<DocView> {
    match v {
        Value::Array(docs) => docs
            .iter()
            .filter_map(Value::as_object)
            .map(document)
            .collect(),
        Value::Object(o) => vec![document(o)],
        _ => Vec::new(),
    }
}

/// The ERP changes a stored mapped payload plans, one row per document.
pub(crate) fn plan(json: &str) -> Vec<PlanRow> {
    serde_json::from_str::<Value>(json)
        .map(plan_of)
        .unwrap_or_default()
}

/// The planned changes of a mapped value (a list, or one), each tagged with its `kind`.
pub(crate) fn plan_of(v: Value) -> Vec<PlanRow> {
    let docs = match v {
        Value::Array(docs) => docs,
        one @ Value::Object(_) => vec![one],
        _ => return Vec::new(),
    };
    let s = |v: &Value, k: &str| v.get(k).map(text).unwrap_or_default();
    docs.iter()
        .map(|d| match d.get("kind").and_then(Value::as_str) {
            Some("order") => PlanRow {
                model: "sale.order".into(),
                operation: match d.get("purpose").and_then(Value::as_str) {
                    Some("Original") => "create".into(),
                    Some("Cancellation") => "cancel the existing order".into(),
                    Some("Change" | "Replace") => "update the existing order".into(),
                    _ => format!("purpose {}", s(d, "purpose")),
                } + if d.get("confirm") == Some(&Value::Bool(true)) {
                    ", confirm"
                } else {
                    ""
                },
                keys: format!(
                    "customer ref {}, client order ref {}, external id {}",
                    s(d, "customer_ref"),
                    s(d, "client_order_ref"),
                    s(d, "external_id")
                ),
                lines: d.get("lines").and_then(Value::as_array).map_or(0, Vec::len),
            },
            Some("receipt") => {
                let orders = d.get("orders").and_then(Value::as_array);
                PlanRow {
                    model: "stock.picking (receipt)".into(),
                    operation: if d.get("cancelled") == Some(&Value::Bool(true)) {
                        "nothing received (the notice is cancelled)".into()
                    } else if d.get("validate") == Some(&Value::Bool(true)) {
                        "fill quantities, validate".into()
                    } else {
                        "fill quantities".into()
                    },
                    keys: format!(
                        "vendor ref {}, shipment {}, PO {}",
                        s(d, "vendor_ref"),
                        s(d, "shipment_id"),
                        orders
                            .map(|os| os.iter().map(|o| s(o, "po_number")).collect::<Vec<_>>())
                            .unwrap_or_default()
                            .join(", ")
                    ),
                    lines: orders.map_or(0, |os| {
                        os.iter()
                            .filter_map(|o| o.get("lines").and_then(Value::as_array))
                            .map(Vec::len)
                            .sum()
                    }),
                }
            }
            other => PlanRow {
                model: other.unwrap_or("unknown").to_owned(),
                operation: String::new(),
                keys: String::new(),
                lines: d.get("lines").and_then(Value::as_array).map_or(0, Vec::len),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{documents, lay_out, plan};

    #[test]
    fn an_order_reads_as_fields_and_a_line_table() {
        let json = r#"[{"type":"Order","purpose":"Original","po_number":"PO-1","po_date":"2026-11-26",
            "order_type":null,"currency":"USD","notes":[],
            "parties":[{"role":"ShipTo","name":"Store 12","additional_names":[],"id_qualifier":"92","id":"0012",
              "address_lines":["1 Main St"],"city":"Springfield","state":"IL","postal_code":"62701","country":null}],
            "lines":[{"line_number":"1","quantity":"10","uom":"EA","unit_price":"2.50",
              "item_ids":[{"qualifier":"Gtin","value":"00614141000012"}],"description":"Widget"}],
            "requested_delivery_date":null,"requested_ship_date":null,
            "source":{"standard":"X12","version":"004010","interchange_control":"1","group_control":"1",
              "set_control":"0001","sender_id":"ACME","receiver_id":"WHARF"}}]"#;
        let docs = documents(json);
        assert_eq!(docs.len(), 1);
        let d = &docs[0];
        assert_eq!(d.title, "Order PO-1");
        assert_eq!(d.fields[0], ("PO number".into(), "PO-1".into()));
        assert!(d.fields.contains(&(
            "Ship to".into(),
            "Store 12 · id 92:0012 · 1 Main St, Springfield, IL, 62701".into()
        )));
        let lines = &d.tables[0];
        assert_eq!(lines.title, "Lines");
        assert_eq!(
            lines.columns,
            [
                "Line",
                "Item ids",
                "Description",
                "Quantity",
                "Unit",
                "Price"
            ]
        );
        assert_eq!(
            lines.rows[0],
            ["1", "Gtin 00614141000012", "Widget", "10", "EA", "2.50"]
        );
        assert!(documents("not json").is_empty());
    }

    #[test]
    fn a_plan_names_model_operation_keys_and_lines() {
        let json = r#"[{"kind":"order","partner":"acme","customer_ref":"ACME","client_order_ref":"PO-1",
            "external_id":"wharf_acme_PO-1","purpose":"Original","confirm":true,"lines":[{},{}]}]"#;
        let rows = plan(json);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].model, "sale.order");
        assert_eq!(rows[0].operation, "create, confirm");
        assert_eq!(
            rows[0].keys,
            "customer ref ACME, client order ref PO-1, external id wharf_acme_PO-1"
        );
        assert_eq!(rows[0].lines, 2);
    }

    #[test]
    fn segments_are_split_with_the_interchanges_own_delimiters() {
        let x12 = b"ISA*00*          *00*          *ZZ*ACME           *ZZ*WHARF          *261126*1200*U*00401*000000001*0*P*>!\nGS*PO*A*B*20261126*1200*1*X*004010!\nST*850*0001!";
        let (segs, text) = lay_out(x12);
        assert!(text.is_empty());
        let tags: Vec<&str> = segs.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(tags, ["ISA", "GS", "ST"]);
        assert_eq!(segs[2].1, "*850*0001!");

        // UNA with other service characters; a released terminator stays in its segment.
        let edifact = b"UNA:+.? \"UNB+UNOC:3+A+B+261126:1200+1\"FTX+AAI+++NOT?\"A SPLIT\"UNZ+1+1\"";
        let (segs, _) = lay_out(edifact);
        let tags: Vec<&str> = segs.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(tags, ["UNA", "UNB", "FTX", "UNZ"]);
        assert_eq!(segs[2].1, "+AAI+++NOT?\"A SPLIT\"");

        let (segs, text) = lay_out(b"<cXML>?</cXML>");
        assert!(segs.is_empty());
        assert_eq!(text, "<cXML>?</cXML>");
    }
}
