//! The directory ERP (`[erp] directory = …`): each mapped document becomes a JSON file under
//! the partner's folder, `<PO>.json` for an order and `receipt-<id>.json` for a ship notice,
//! for an ERP that picks files up. The deliver stage claims each document in the registry
//! first, so a document another message delivered is not written again.

use std::path::PathBuf;

use futures_util::future::BoxFuture;

use crate::pipeline::ports::{ErpFailure, ErpMode, ErpSink, Mapped, Put};
use crate::util::files::{WriteError, file_component, key_file_name, write_atomically};

/// The folder mapped documents are written to.
pub struct DirectoryErp {
    pub root: PathBuf,
}

impl ErpSink for DirectoryErp {
    fn mode(&self) -> ErpMode {
        ErpMode::Claimed
    }

    fn put<'a>(
        &'a self,
        partner: &'a str,
        doc: &'a Mapped,
    ) -> BoxFuture<'a, Result<Put, ErpFailure>> {
        Box::pin(async move {
            let (kind, key) = doc.registry_key();
            // Orders keep the PO number as the file name; receipts are prefixed so a shipment
            // id can never overwrite an order.
            // Escaped, never replaced: `COLL/1`, `COLL_1` and `.COLL_1` are three files
            // (letters, digits and `-` as they are, so the usual `PO-1001.json` keeps its name).
            let (name, body) = match doc {
                Mapped::Order(o) => (key_file_name(key), serde_json::to_vec_pretty(o)),
                Mapped::Receipt(r) => (
                    format!("receipt-{}", key_file_name(key)),
                    serde_json::to_vec_pretty(r),
                ),
            };
            let body = body.map_err(|e| ErpFailure::Permanent(format!("{kind} JSON: {e}")))?;
            let path = self
                .root
                .join(file_component(partner))
                .join(format!("{name}.json"));
            write_atomically(&path, &body).await.map_err(|e| match e {
                WriteError::NoFolder(_) => ErpFailure::Permanent(e.to_string()),
                WriteError::Io { .. } => ErpFailure::Transient(e.to_string()),
            })?;
            Ok(Put {
                record: None,
                text: format!("{kind} {key} → {}", path.display()),
                warnings: Vec::new(),
            })
        })
    }
}
