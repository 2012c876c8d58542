//! The ERP edge: where mapped documents go and where confirmations and shipments come from.
//! Both implement the pipeline's `ErpSink` port: `odoo/` is the Odoo connector, `directory.rs`
//! the folder of JSON files.

pub mod directory;
pub mod odoo;
