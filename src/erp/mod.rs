//! The ERP edge: where mapped documents go and where confirmations and shipments come from.
//! `odoo/` is the Odoo connector; the directory sink lives in the deliver stage.

pub mod odoo;
