//! The double's models and fields: what each version of Odoo has, with each field's kind.

use super::*;

/// The fields each model has in this version; anything else is "Invalid field".
pub(super) fn build_schema(model: &str, version: u32) -> Option<Vec<(&'static str, Kind)>> {
    use Kind::*;
    let v19 = version >= 19;
    let line_uom = if v19 { "product_uom_id" } else { "product_uom" };
    let sale_tax = if v19 { "tax_ids" } else { "tax_id" };
    let purchase_tax = if v19 { "tax_ids" } else { "taxes_id" };
    let package = if v19 {
        "stock.package"
    } else {
        "stock.quant.package"
    };
    let mut f: Vec<(&'static str, Kind)> = match model {
        "res.partner" => vec![
            ("name", Scalar),
            ("ref", Scalar),
            ("active", Scalar),
            ("type", Scalar),
            ("is_company", Scalar),
            ("parent_id", Many2one("res.partner")),
            ("child_ids", One2many("res.partner", "parent_id")),
            ("street", Scalar),
            ("street2", Scalar),
            ("city", Scalar),
            ("zip", Scalar),
            ("state_id", Many2one("res.country.state")),
            ("country_id", Many2one("res.country")),
        ],
        "res.users" => vec![
            ("name", Scalar),
            ("login", Scalar),
            (
                if v19 { "group_ids" } else { "groups_id" },
                Many2many("res.groups"),
            ),
        ],
        "res.groups" => vec![("name", Scalar)],
        "product.product" => {
            let mut f = vec![
                ("name", Scalar),
                ("default_code", Scalar),
                ("active", Scalar),
                ("barcode", Scalar),
                ("list_price", Scalar),
                ("type", Scalar),
                ("is_storable", Scalar),
                ("tracking", Scalar),
                ("invoice_policy", Scalar),
                ("uom_id", Many2one("uom.uom")),
                ("taxes_id", Many2many("account.tax")),
                ("seller_ids", One2many("product.supplierinfo", "product_id")),
            ];
            if v19 {
                f.push(("uom_ids", Many2many("uom.uom")));
            } else {
                f.push(("uom_po_id", Many2one("uom.uom")));
            }
            f
        }
        "product.supplierinfo" => vec![
            ("partner_id", Many2one("res.partner")),
            ("product_id", Many2one("product.product")),
            ("product_code", Scalar),
        ],
        "uom.uom" => {
            if v19 {
                vec![
                    ("name", Scalar),
                    ("active", Scalar),
                    ("factor", Scalar),
                    ("relative_factor", Scalar),
                    ("relative_uom_id", Many2one("uom.uom")),
                ]
            } else {
                vec![
                    ("name", Scalar),
                    ("active", Scalar),
                    ("category_id", Many2one("uom.category")),
                    ("uom_type", Scalar),
                    ("factor", Scalar),
                    ("factor_inv", Scalar),
                ]
            }
        }
        "uom.category" if !v19 => vec![("name", Scalar)],
        "account.tax" => vec![
            ("name", Scalar),
            ("amount", Scalar),
            ("amount_type", Scalar),
            ("type_tax_use", Scalar),
        ],
        "stock.warehouse" => vec![("name", Scalar), ("code", Scalar), ("active", Scalar)],
        "ir.model.data" => vec![
            ("module", Scalar),
            ("name", Scalar),
            ("model", Scalar),
            ("res_id", Scalar),
        ],
        "sale.order" => vec![
            ("name", Scalar),
            ("partner_id", Many2one("res.partner")),
            ("partner_shipping_id", Many2one("res.partner")),
            ("partner_invoice_id", Many2one("res.partner")),
            ("client_order_ref", Scalar),
            ("date_order", Scalar),
            ("commitment_date", Scalar),
            ("note", Scalar),
            ("state", Scalar),
            ("delivery_status", Scalar),
            ("warehouse_id", Many2one("stock.warehouse")),
            ("order_line", One2many("sale.order.line", "order_id")),
            ("picking_ids", One2many("stock.picking", "sale_id")),
            ("invoice_ids", Many2many("account.move")),
        ],
        "sale.order.line" => vec![
            ("order_id", Many2one("sale.order")),
            ("product_id", Many2one("product.product")),
            ("name", Scalar),
            ("product_uom_qty", Scalar),
            ("price_unit", Scalar),
            (line_uom, Many2one("uom.uom")),
            (sale_tax, Many2many("account.tax")),
            ("price_subtotal", Scalar),
            ("price_tax", Scalar),
            ("price_total", Scalar),
            ("qty_delivered", Scalar),
            ("qty_invoiced", Scalar),
            ("move_ids", One2many("stock.move", "sale_line_id")),
        ],
        "purchase.order" => vec![
            ("name", Scalar),
            ("partner_id", Many2one("res.partner")),
            ("partner_ref", Scalar),
            ("state", Scalar),
            ("order_line", One2many("purchase.order.line", "order_id")),
            ("picking_ids", One2many("stock.picking", "purchase_id")),
        ],
        "purchase.order.line" => vec![
            ("order_id", Many2one("purchase.order")),
            ("product_id", Many2one("product.product")),
            ("name", Scalar),
            ("product_qty", Scalar),
            ("price_unit", Scalar),
            (line_uom, Many2one("uom.uom")),
            (purchase_tax, Many2many("account.tax")),
            ("qty_received", Scalar),
            ("move_ids", One2many("stock.move", "purchase_line_id")),
        ],
        "stock.picking" => vec![
            ("name", Scalar),
            ("sale_id", Many2one("sale.order")),
            ("purchase_id", Many2one("purchase.order")),
            ("partner_id", Many2one("res.partner")),
            ("picking_type_code", Scalar),
            ("state", Scalar),
            ("origin", Scalar),
            ("carrier_tracking_ref", Scalar),
            ("carrier_id", Many2one("delivery.carrier")),
            // stock_delivery: the products' weight and the company's weight unit label.
            ("weight", Scalar),
            ("weight_uom_name", Scalar),
            ("backorder_id", Many2one("stock.picking")),
            ("date_done", Scalar),
            ("move_ids", One2many("stock.move", "picking_id")),
            ("move_line_ids", One2many("stock.move.line", "picking_id")),
        ],
        "delivery.carrier" => vec![("name", Scalar)],
        "stock.move" => vec![
            ("picking_id", Many2one("stock.picking")),
            ("product_id", Many2one("product.product")),
            ("product_uom_qty", Scalar),
            ("product_qty", Scalar),
            ("quantity", Scalar),
            ("product_uom", Many2one("uom.uom")),
            ("picked", Scalar),
            ("state", Scalar),
            ("sale_line_id", Many2one("sale.order.line")),
            ("purchase_line_id", Many2one("purchase.order.line")),
            ("move_line_ids", One2many("stock.move.line", "move_id")),
        ],
        "stock.move.line" => vec![
            ("move_id", Many2one("stock.move")),
            ("picking_id", Many2one("stock.picking")),
            ("product_id", Many2one("product.product")),
            ("quantity", Scalar),
            ("quantity_product_uom", Scalar),
            ("product_uom_id", Many2one("uom.uom")),
            ("lot_id", Many2one("stock.lot")),
            ("lot_name", Scalar),
            ("package_id", Many2one(package)),
            ("result_package_id", Many2one(package)),
            ("picked", Scalar),
            ("state", Scalar),
        ],
        "stock.quant.package" if !v19 => vec![("name", Scalar)],
        "stock.package" if v19 => vec![("name", Scalar)],
        "stock.lot" => vec![
            ("name", Scalar),
            ("product_id", Many2one("product.product")),
        ],
        "stock.backorder.confirmation" => vec![("pick_ids", Many2many("stock.picking"))],
        "sale.advance.payment.inv" => vec![
            ("advance_payment_method", Scalar),
            ("sale_order_ids", Many2many("sale.order")),
        ],
        "account.move" => vec![
            ("name", Scalar),
            ("move_type", Scalar),
            ("state", Scalar),
            ("partner_id", Many2one("res.partner")),
            ("partner_shipping_id", Many2one("res.partner")),
            ("invoice_origin", Scalar),
            ("invoice_date", Scalar),
            ("amount_untaxed", Scalar),
            ("amount_tax", Scalar),
            ("amount_total", Scalar),
            ("invoice_line_ids", One2many("account.move.line", "move_id")),
        ],
        "account.move.line" => vec![
            ("move_id", Many2one("account.move")),
            ("product_id", Many2one("product.product")),
            ("name", Scalar),
            ("quantity", Scalar),
            ("price_unit", Scalar),
            ("product_uom_id", Many2one("uom.uom")),
            ("tax_ids", Many2many("account.tax")),
            ("price_subtotal", Scalar),
            ("price_total", Scalar),
            ("display_type", Scalar),
            ("sale_line_ids", Many2many("sale.order.line")),
        ],
        _ => return None,
    };
    f.push(("id", Scalar));
    f.push(("write_date", Scalar));
    f.push(("create_date", Scalar));
    f.push(("display_name", Scalar));
    Some(f)
}

pub(super) const MODELS: &[&str] = &[
    "res.partner",
    "res.users",
    "res.groups",
    "product.product",
    "product.supplierinfo",
    "uom.uom",
    "uom.category",
    "account.tax",
    "stock.warehouse",
    "ir.model.data",
    "sale.order",
    "sale.order.line",
    "purchase.order",
    "purchase.order.line",
    "stock.picking",
    "delivery.carrier",
    "stock.move",
    "stock.move.line",
    "stock.quant.package",
    "stock.package",
    "stock.lot",
    "stock.backorder.confirmation",
    "sale.advance.payment.inv",
    "account.move",
    "account.move.line",
];
