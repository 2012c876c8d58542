//! `wharf send`: a canonical document queued for a partner, at most once per key.

use super::*;

pub(super) async fn send(
    s: Settings,
    file: &Path,
    partner: &str,
    key: Option<&str>,
) -> anyhow::Result<ExitCode> {
    use crate::model::Document;
    let text = std::fs::read_to_string(file)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
    let doc: Document = serde_json::from_str(&text)
        .map_err(|e| UsageError(format!("{}: not a canonical document: {e}", file.display())))?;
    let key = match (key, &doc) {
        (Some(k), _) => k.to_owned(),
        (None, Document::OrderAck(a)) => a.po_number.to_string(),
        (None, Document::ShipNotice(n)) => n.shipment_id.to_string(),
        (None, Document::Invoice(i)) => i.invoice_number.to_string(),
        (None, Document::Order(o)) => o.po_number.to_string(),
        (None, Document::FunctionalAck(_) | Document::InterchangeAck(_)) => {
            return Err(UsageError(
                "acknowledgements are built by Wharf itself; `wharf send` takes an OrderAck, \
                 ShipNotice or Invoice"
                    .into(),
            )
            .into());
        }
    };
    let p = pipeline(s).await?;
    let outcome = p.submit(partner, doc, &key).await;
    p.store.close().await;
    match outcome {
        Ok(crate::pipeline::Submitted::Queued(id)) => {
            println!("{id}\tqueued for {partner} (key {key})");
            Ok(ExitCode::SUCCESS)
        }
        Ok(crate::pipeline::Submitted::AlreadyQueued) => {
            println!("-\talready queued for {partner} with key {key}; nothing new");
            Ok(ExitCode::SUCCESS)
        }
        Err(crate::pipeline::SubmitError::Store(e)) => Err(e.into()),
        Err(e) => Err(UsageError(e.to_string()).into()),
    }
}
