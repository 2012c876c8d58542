//! Odoo's access rights (`ir.model.access`) on the models Wharf touches, as Odoo names the
//! groups in its AccessError ("This operation is allowed for the following groups: …"), so
//! that a right the double denies is refused in Odoo's words and `wharf odoo check`'s advice
//! can be held against what Odoo itself says grants it.
//!
//! 18: `ir.model.access.group_names_with_access(model, operation)` asked of a real Odoo
//! 18.0-20250506 (fresh database, sale_management, stock, purchase, stock_delivery and
//! account installed). 19: the same query worked out from 19.0's `ir.model.access.csv` files
//! and group definitions for the same modules; its `sale.order` read list equals the one
//! recorded in transcript 19/62, as 18's equals 18/62.

use super::Fault;

/// The groups granting `(model, operation)`, in Odoo's order (by category, then name).
type Acl = (&'static str, &'static str, &'static [&'static str]);

const ACL_18: &[Acl] = &[
    (
        "res.partner",
        "read",
        &[
            "Extra Rights/Contact Creation",
            "Inventory/Administrator",
            "Invoicing/Administrator",
            "Purchase/Administrator",
            "Purchase/User",
            "Sales/Administrator",
            "Sales/User: Own Documents Only",
            "User types/Internal User",
            "User types/Portal",
            "User types/Public",
        ],
    ),
    (
        "product.product",
        "read",
        &[
            "Extra Rights/Product Creation",
            "Inventory/Administrator",
            "Inventory/User",
            "Invoicing/Administrator",
            "Purchase/Administrator",
            "Purchase/User",
            "Sales/Administrator",
            "Sales/User: Own Documents Only",
            "Technical/Show Accounting Features - Readonly",
            "User types/Internal User",
        ],
    ),
    (
        "uom.uom",
        "read",
        &[
            "Administration/Settings",
            "Inventory/Administrator",
            "Purchase/Administrator",
            "Sales/Administrator",
            "Sales/User: Own Documents Only",
            "User types/Internal User",
        ],
    ),
    ("ir.model.data", "read", &["Administration/Access Rights"]),
    ("ir.model.data", "create", &["Administration/Access Rights"]),
    (
        "sale.order",
        "read",
        &[
            "Inventory/User",
            "Invoicing/Invoicing",
            "Sales/Administrator",
            "Sales/User: Own Documents Only",
            "Technical/Show Accounting Features - Readonly",
            "Technical/Show Full Accounting Features",
            "User types/Portal",
        ],
    ),
    (
        "sale.order",
        "create",
        &["Sales/Administrator", "Sales/User: Own Documents Only"],
    ),
    (
        "sale.order",
        "write",
        &[
            "Inventory/User",
            "Invoicing/Invoicing",
            "Sales/Administrator",
            "Sales/User: Own Documents Only",
            "Technical/Show Full Accounting Features",
        ],
    ),
    (
        "sale.order.line",
        "read",
        &[
            "Inventory/User",
            "Invoicing/Invoicing",
            "Sales/User: Own Documents Only",
            "Technical/Show Accounting Features - Readonly",
            "Technical/Show Full Accounting Features",
            "User types/Portal",
        ],
    ),
    (
        "sale.order.line",
        "create",
        &["Sales/User: Own Documents Only"],
    ),
    (
        "sale.order.line",
        "write",
        &[
            "Inventory/User",
            "Invoicing/Invoicing",
            "Sales/User: Own Documents Only",
            "Technical/Show Full Accounting Features",
        ],
    ),
    (
        "stock.warehouse",
        "read",
        &[
            "Inventory/Administrator",
            "Purchase/Administrator",
            "Purchase/User",
            "Sales/User: Own Documents Only",
            "User types/Internal User",
        ],
    ),
    (
        "purchase.order",
        "read",
        &[
            "Inventory/User",
            "Invoicing/Invoicing",
            "Purchase/Administrator",
            "Purchase/User",
            "Technical/Show Accounting Features - Readonly",
            "User types/Portal",
        ],
    ),
    (
        "stock.picking",
        "read",
        &[
            "Inventory/Administrator",
            "Inventory/User",
            "Invoicing/Invoicing",
            "Purchase/Administrator",
            "Purchase/User",
            "Sales/Administrator",
            "Sales/User: Own Documents Only",
            "Technical/Show Accounting Features - Readonly",
            "User types/Portal",
        ],
    ),
    (
        "stock.picking",
        "write",
        &[
            "Inventory/Administrator",
            "Inventory/User",
            "Invoicing/Invoicing",
            "Purchase/Administrator",
            "Purchase/User",
            "Sales/Administrator",
            "Sales/User: Own Documents Only",
        ],
    ),
    (
        "stock.move",
        "read",
        &[
            "Inventory/Administrator",
            "Inventory/User",
            "Invoicing/Invoicing",
            "Purchase/Administrator",
            "Purchase/User",
            "Sales/Administrator",
            "Sales/User: Own Documents Only",
            "Technical/Show Accounting Features - Readonly",
        ],
    ),
    (
        "stock.move.line",
        "read",
        &[
            "Inventory/Administrator",
            "Inventory/User",
            "User types/Internal User",
        ],
    ),
    (
        "stock.move.line",
        "create",
        &[
            "Inventory/Administrator",
            "Inventory/User",
            "User types/Internal User",
        ],
    ),
    (
        "stock.move.line",
        "write",
        &[
            "Inventory/Administrator",
            "Inventory/User",
            "User types/Internal User",
        ],
    ),
    (
        "stock.quant.package",
        "read",
        &[
            "Inventory/Administrator",
            "Inventory/User",
            "User types/Internal User",
        ],
    ),
    (
        "stock.quant.package",
        "create",
        &["Inventory/Administrator", "Inventory/User"],
    ),
    (
        "account.move",
        "read",
        &[
            "Invoicing/Administrator",
            "Invoicing/Invoicing",
            "Purchase/User",
            "Sales/User: Own Documents Only",
            "Technical/Show Accounting Features - Readonly",
            "User types/Portal",
        ],
    ),
    (
        "account.move.line",
        "read",
        &[
            "Invoicing/Administrator",
            "Invoicing/Invoicing",
            "Purchase/Administrator",
            "Purchase/User",
            "Sales/User: Own Documents Only",
            "Technical/Show Accounting Features - Readonly",
            "User types/Portal",
        ],
    ),
    (
        "account.tax",
        "read",
        &[
            "Invoicing/Administrator",
            "Invoicing/Invoicing",
            "Purchase/Administrator",
            "Purchase/User",
            "Sales/User: Own Documents Only",
            "Technical/Show Accounting Features - Readonly",
            "User types/Internal User",
        ],
    ),
];

const ACL_19: &[Acl] = &[
    (
        "res.partner",
        "read",
        &[
            "Accounting/Administrator",
            "Contact/Creation",
            "Inventory/Administrator",
            "Purchase/Administrator",
            "Purchase/User",
            "Role / Portal",
            "Role / Public",
            "Role / User",
            "Sales/Administrator",
            "Sales/User: Own Documents Only",
        ],
    ),
    (
        "product.product",
        "read",
        &[
            "Inventory/User",
            "Products/Create",
            "Purchase/User",
            "Role / User",
            "Show Accounting Features - Readonly",
        ],
    ),
    (
        "uom.uom",
        "read",
        &[
            "Products/Create",
            "Role / Administrator",
            "Role / User",
            "Sales/User: Own Documents Only",
        ],
    ),
    ("ir.model.data", "read", &["Access Rights"]),
    ("ir.model.data", "create", &["Access Rights"]),
    (
        "sale.order",
        "read",
        &[
            "Accounting/Invoicing",
            "Inventory/User",
            "Role / Portal",
            "Sales/Administrator",
            "Sales/User: Own Documents Only",
            "Show Accounting Features - Readonly",
            "Show Full Accounting Features",
        ],
    ),
    (
        "sale.order",
        "create",
        &["Sales/Administrator", "Sales/User: Own Documents Only"],
    ),
    (
        "sale.order",
        "write",
        &[
            "Accounting/Invoicing",
            "Inventory/User",
            "Sales/Administrator",
            "Sales/User: Own Documents Only",
            "Show Full Accounting Features",
        ],
    ),
    (
        "sale.order.line",
        "read",
        &[
            "Accounting/Invoicing",
            "Inventory/User",
            "Role / Portal",
            "Sales/User: Own Documents Only",
            "Show Accounting Features - Readonly",
            "Show Full Accounting Features",
        ],
    ),
    (
        "sale.order.line",
        "create",
        &["Sales/User: Own Documents Only"],
    ),
    (
        "sale.order.line",
        "write",
        &[
            "Accounting/Invoicing",
            "Inventory/User",
            "Sales/User: Own Documents Only",
            "Show Full Accounting Features",
        ],
    ),
    (
        "stock.warehouse",
        "read",
        &[
            "Inventory/Administrator",
            "Purchase/Administrator",
            "Purchase/User",
            "Role / User",
            "Sales/User: Own Documents Only",
        ],
    ),
    (
        "purchase.order",
        "read",
        &[
            "Accounting/Invoicing",
            "Inventory/User",
            "Purchase/Administrator",
            "Purchase/User",
            "Role / Portal",
            "Show Accounting Features - Readonly",
        ],
    ),
    (
        "stock.picking",
        "read",
        &[
            "Accounting/Invoicing",
            "Inventory/Administrator",
            "Inventory/User",
            "Purchase/Administrator",
            "Purchase/User",
            "Role / Portal",
            "Sales/Administrator",
            "Sales/User: Own Documents Only",
            "Show Accounting Features - Readonly",
        ],
    ),
    (
        "stock.picking",
        "write",
        &[
            "Accounting/Invoicing",
            "Inventory/Administrator",
            "Inventory/User",
            "Purchase/Administrator",
            "Purchase/User",
            "Sales/Administrator",
            "Sales/User: Own Documents Only",
        ],
    ),
    (
        "stock.move",
        "read",
        &[
            "Accounting/Invoicing",
            "Inventory/Administrator",
            "Inventory/User",
            "Purchase/Administrator",
            "Purchase/User",
            "Sales/Administrator",
            "Sales/User: Own Documents Only",
            "Show Accounting Features - Readonly",
        ],
    ),
    (
        "stock.move.line",
        "read",
        &["Inventory/Administrator", "Inventory/User", "Role / User"],
    ),
    (
        "stock.move.line",
        "create",
        &["Inventory/Administrator", "Inventory/User", "Role / User"],
    ),
    (
        "stock.move.line",
        "write",
        &["Inventory/Administrator", "Inventory/User", "Role / User"],
    ),
    (
        "stock.package",
        "read",
        &["Inventory/Administrator", "Inventory/User", "Role / User"],
    ),
    (
        "stock.package",
        "create",
        &["Inventory/Administrator", "Inventory/User"],
    ),
    (
        "account.move",
        "read",
        &[
            "Accounting/Administrator",
            "Accounting/Invoicing",
            "Purchase/User",
            "Role / Portal",
            "Sales/User: Own Documents Only",
            "Show Accounting Features - Readonly",
        ],
    ),
    (
        "account.move.line",
        "read",
        &[
            "Accounting/Administrator",
            "Accounting/Invoicing",
            "Purchase/Administrator",
            "Purchase/User",
            "Role / Portal",
            "Sales/User: Own Documents Only",
            "Show Accounting Features - Readonly",
        ],
    ),
    (
        "account.tax",
        "read",
        &[
            "Accounting/Administrator",
            "Accounting/Invoicing",
            "Purchase/Administrator",
            "Purchase/User",
            "Role / User",
            "Sales/User: Own Documents Only",
            "Show Accounting Features - Readonly",
        ],
    ),
];

/// Groups that bring others with them (Odoo's `implied_ids`) where a group Wharf's check
/// names is not itself in an access list: "All Documents" implies "Own Documents Only", the
/// administrator role implies Access Rights.
const IMPLIES: &[(&str, &str)] = &[
    (
        "Sales/User: All Documents",
        "Sales/User: Own Documents Only",
    ),
    ("Administration/Settings", "Administration/Access Rights"),
    ("Role / Administrator", "Access Rights"),
];

fn acl(version: u32) -> &'static [Acl] {
    if version >= 19 { ACL_19 } else { ACL_18 }
}

/// Every `(model, operation)` the table knows for this version.
pub fn rights(version: u32) -> impl Iterator<Item = (&'static str, &'static str)> {
    acl(version).iter().map(|(m, op, _)| (*m, *op))
}

/// The groups Odoo lists as granting `operation` on `model` (empty when the table has no
/// entry: the model is not one Wharf touches).
pub fn groups_with_access(version: u32, model: &str, operation: &str) -> &'static [&'static str] {
    acl(version)
        .iter()
        .find(|(m, op, _)| *m == model && *op == operation)
        .map_or(&[], |(_, _, g)| g)
}

/// Whether a user given `group` (and what it implies) may do `operation` on `model`.
pub fn grants(version: u32, group: &str, model: &str, operation: &str) -> bool {
    let listed = groups_with_access(version, model, operation);
    listed.contains(&group)
        || IMPLIES
            .iter()
            .any(|(g, implied)| *g == group && listed.contains(implied))
}

/// The model's description (`_description`), which Odoo's AccessError names first.
fn description(version: u32, model: &str) -> &str {
    match model {
        "res.partner" => "Contact",
        "product.product" => "Product Variant",
        "uom.uom" => "Product Unit of Measure",
        "ir.model.data" => "Model Data",
        "sale.order" => "Sales Order",
        "sale.order.line" => "Sales Order Line",
        "stock.warehouse" => "Warehouse",
        "purchase.order" => "Purchase Order",
        "stock.picking" => "Transfer",
        "stock.move" => "Stock Move",
        "stock.move.line" => "Product Moves (Stock Move Line)",
        "stock.quant.package" if version < 19 => "Packages",
        "stock.package" => "Package",
        "account.move" => "Journal Entry",
        "account.move.line" => "Journal Item",
        "account.tax" => "Tax",
        m => m,
    }
}

/// Odoo's AccessError for a refused `operation` on `model` (`ir.model.access`'s
/// `_make_access_error`): the verb Odoo uses for the operation, the model's description and
/// name, the groups that grant it, and the resolution line.
pub fn access_error(version: u32, model: &str, operation: &str) -> Fault {
    let verb = match operation {
        "read" => "access",
        "write" => "modify",
        "unlink" => "delete",
        other => other,
    };
    let groups = groups_with_access(version, model, operation);
    let who = if groups.is_empty() {
        "No group currently allows this operation.".to_owned()
    } else {
        format!(
            "This operation is allowed for the following groups:\n{}",
            groups
                .iter()
                .map(|g| format!("\t- {g}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    };
    Fault::new(
        "odoo.exceptions.AccessError",
        format!(
            "You are not allowed to {verb} '{}' ({model}) records.\n\n{who}\n\nContact your \
             administrator to request access if necessary.",
            description(version, model)
        ),
        403,
    )
}
