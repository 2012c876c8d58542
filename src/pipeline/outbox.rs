//! The business events the core writes, each inside the transaction of the change it tells
//! about (`store::outbox`): a message received, failed, an order created in the ERP, a
//! document sent, an acknowledgement that rejected one. The edge in `crate::events` delivers
//! them; here is only what each event says (`data`, documented in docs/events.schema.json).

use serde_json::json;

use crate::model::{BusinessEventKind, DocKind, Standard};
use crate::store::outbox::{self, NewBusinessEvent};
use crate::store::{MessageId, MessageState, StoreError, Tx, messages};

/// Writes `kind` for `partner` (and the message it concerns) in `tx`.
pub(crate) async fn emit(
    tx: &mut Tx,
    kind: BusinessEventKind,
    partner: Option<&str>,
    message_id: Option<MessageId>,
    data: serde_json::Value,
) -> Result<(), StoreError> {
    outbox::emit(
        tx,
        &NewBusinessEvent {
            kind,
            partner,
            message_id,
            data,
            dedup_key: None,
        },
    )
    .await?;
    Ok(())
}

/// A final state that is a failure an operator or another system must hear about.
pub(crate) fn is_failure(state: MessageState) -> bool {
    matches!(
        state,
        MessageState::Rejected | MessageState::Quarantined | MessageState::Failed
    )
}

/// `message.failed`: the message as it stands in `tx` (its partner, document, reference),
/// the state it ended in and why.
pub(crate) async fn message_failed(
    tx: &mut Tx,
    id: MessageId,
    state: MessageState,
    reason: &str,
) -> Result<(), StoreError> {
    let m = messages::get_tx(tx, id).await?;
    let data = json!({
        "state": state.as_str(),
        "reason": reason,
        "direction": m.direction.as_str(),
        "channel": m.channel.as_str(),
        "doc_type": m.doc_type,
        "reference": first_reference(m.reference.as_deref()),
    });
    emit(
        tx,
        BusinessEventKind::MessageFailed,
        m.partner.as_deref(),
        Some(id),
        data,
    )
    .await
}

/// A message's first business reference (its PO, shipment or invoice number): the stored
/// display form without its "(+n more)".
pub(crate) fn first_reference(shown: Option<&str>) -> Option<&str> {
    shown.map(|r| r.split(" (+").next().unwrap_or(r))
}

/// The kind of a document type's name in any standard ("855", "DESADV", "OrderResponse").
pub(crate) fn doc_kind_named(name: &str) -> Option<DocKind> {
    [
        Standard::X12,
        Standard::Edifact,
        Standard::Cxml,
        Standard::Ubl,
    ]
    .into_iter()
    .find_map(|s| DocKind::from_name(s, name))
}

/// The event a sent document of this type means; acknowledgements (997, CONTRL, …) mean none.
pub(crate) fn sent_kind(doc_type: Option<&str>) -> Option<BusinessEventKind> {
    match doc_type.and_then(doc_kind_named)? {
        DocKind::OrderAck => Some(BusinessEventKind::OrderAcknowledged),
        DocKind::ShipNotice => Some(BusinessEventKind::ShipmentSent),
        DocKind::Invoice => Some(BusinessEventKind::InvoiceSent),
        DocKind::Order => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sent_documents_name_their_event_in_every_standard() {
        assert_eq!(
            sent_kind(Some("855")),
            Some(BusinessEventKind::OrderAcknowledged)
        );
        assert_eq!(
            sent_kind(Some("ORDRSP")),
            Some(BusinessEventKind::OrderAcknowledged)
        );
        assert_eq!(
            sent_kind(Some("DespatchAdvice")),
            Some(BusinessEventKind::ShipmentSent)
        );
        assert_eq!(sent_kind(Some("810")), Some(BusinessEventKind::InvoiceSent));
        assert_eq!(sent_kind(Some("997")), None);
        assert_eq!(sent_kind(Some("CONTRL")), None);
        assert_eq!(sent_kind(None), None);
    }
}
