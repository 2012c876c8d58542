//! The pipeline's ports built from the settings: the ERP sink (Odoo when `[erp]` names
//! Odoo, the directory otherwise), one outbound edge per channel (the outbox folder, the
//! partner's own servers, AS2) and the dry run's record planner (Odoo's).

use std::sync::Arc;

use crate::config::{ErpTarget, Settings};
use crate::erp::directory::DirectoryErp;
use crate::erp::odoo::{OdooClient, OdooPlanner, OdooSink};
use crate::partners::Partners;
use crate::pipeline::Pipeline;
use crate::pipeline::ports::{ErpSink, Ports};
use crate::store::Store;
use crate::transport::as2::As2;
use crate::transport::directory::Directory;
use crate::transport::remote::deliver::Deliver;

/// The real edges for `settings`.
pub fn ports(settings: &Arc<Settings>, store: &Store) -> Ports {
    let erp: Arc<dyn ErpSink> = match &settings.erp {
        ErpTarget::Odoo(o) => Arc::new(OdooSink::new(
            OdooClient::new(o.clone())
                .map(Arc::new)
                .map_err(|e| tracing::error!(error = %e, "Odoo client"))
                .ok(),
        )),
        ErpTarget::Directory(root) => Arc::new(DirectoryErp { root: root.clone() }),
    };
    Ports {
        erp,
        directory: Arc::new(Directory {
            outbox: settings.outbox_dir.clone(),
        }),
        deliver: Arc::new(Deliver {
            store: store.clone(),
            settings: settings.clone(),
        }),
        as2: Arc::new(As2::new(settings.clone(), store.clone())),
        // The dry run shows Odoo's records whichever ERP documents go to.
        planner: Arc::new(OdooPlanner),
    }
}

/// A pipeline over `store` with the real edges.
pub fn pipeline(store: Store, settings: Arc<Settings>, partners: Arc<Partners>) -> Pipeline {
    let ports = ports(&settings, &store);
    Pipeline::with_ports(store, settings, partners, ports)
}

/// The Odoo client the pipeline's ERP sink holds, when the ERP is Odoo and its client
/// started (for the poller of Odoo's confirmations and deliveries).
pub fn odoo_client(p: &Pipeline) -> Option<Arc<OdooClient>> {
    p.ports
        .erp
        .as_any()
        .downcast_ref::<OdooSink>()
        .and_then(|s| s.client().cloned())
}

/// The pipeline's AS2 edge (its station, loaded on first use).
pub fn as2(p: &Pipeline) -> Option<&As2> {
    As2::of(p)
}
