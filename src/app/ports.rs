//! The pipeline's ports built from the settings: the ERP sink (Odoo when `[erp]` names
//! Odoo, the directory otherwise), one outbound edge per channel (the outbox folder, the
//! partner's own servers, AS2) and the dry run's record planner (Odoo's).

use std::sync::Arc;

use crate::config::{ErpTarget, Settings};
use crate::erp::directory::DirectoryErp;
use crate::erp::odoo::{OdooClient, OdooPlanner, OdooSink};
use crate::metrics::Metrics;
use crate::partners::Partners;
use crate::pipeline::Pipeline;
use crate::pipeline::ports::{ErpSink, Ports};
use crate::store::Store;
use crate::transport::as2::As2;
use crate::transport::directory::Directory;
use crate::transport::remote::deliver::Deliver;

/// The edges built for `settings`: the pipeline's ports, and the concrete edges the
/// composition root wires further (the AS2 route and its MDN loops, the Odoo poller), kept
/// here so nothing has to find them again by downcasting a port.
pub struct Edges {
    pub ports: Ports,
    pub as2: Arc<As2>,
    /// The Odoo client, when the ERP is Odoo and its client started.
    pub odoo: Option<Arc<OdooClient>>,
}

/// The real edges for `settings`, recording into `metrics`.
pub fn edges(settings: &Arc<Settings>, store: &Store, metrics: &Arc<Metrics>) -> Edges {
    let odoo = match &settings.erp {
        ErpTarget::Odoo(o) => OdooClient::new(o.clone())
            .map(|c| Arc::new(c.with_metrics(metrics.clone())))
            .map_err(|e| tracing::error!(error = %e, "Odoo client"))
            .ok(),
        ErpTarget::Directory(_) => None,
    };
    let erp: Arc<dyn ErpSink> = match &settings.erp {
        ErpTarget::Odoo(_) => Arc::new(OdooSink::new(odoo.clone())),
        ErpTarget::Directory(root) => Arc::new(DirectoryErp { root: root.clone() }),
    };
    let as2 = Arc::new(As2::new(settings.clone(), store.clone(), metrics.clone()));
    let ports = Ports {
        erp,
        directory: Arc::new(Directory {
            outbox: settings.outbox_dir.clone(),
        }),
        deliver: Arc::new(Deliver {
            store: store.clone(),
            settings: settings.clone(),
            metrics: metrics.clone(),
        }),
        as2: as2.clone(),
        // The dry run shows Odoo's records whichever ERP documents go to.
        planner: Arc::new(OdooPlanner),
    };
    Edges { ports, as2, odoo }
}

/// A pipeline over `store` with the real edges (for commands and tests that need no
/// listener).
pub fn pipeline(store: Store, settings: Arc<Settings>, partners: Arc<Partners>) -> Pipeline {
    // A command's own metrics: nothing scrapes them, but its stages record as the server's do.
    let metrics = Arc::new(Metrics::new());
    let ports = edges(&settings, &store, &metrics).ports;
    Pipeline::with_ports(store, settings, partners, ports, metrics)
}
