//! End to end through the real binary: ingest, serve, the partner API, message tracking,
//! duplicates, quarantine and replay, on SQLite and on PostgreSQL.

use std::time::Duration;

use crate::kit::{Db, TestEnv, http, order_850, order_850_from, segments, wait_for};
use wharf::store::messages::{self, Message};
use wharf::store::{EventKind, MessageId, MessageState, Store, events};

mod api;
mod edifact_cxml;
mod x12;

const PATIENCE: Duration = Duration::from_secs(30);

async fn settled(store: &Store, id: MessageId) -> Message {
    wait_for(
        PATIENCE,
        &format!("message {id} to reach a final state"),
        || async {
            let m = messages::get(store, id).await.ok()?;
            if !m.state.is_final() {
                return None;
            }
            // Its acknowledgements must be sent too.
            let related = messages::related(store, id).await.ok()?;
            related
                .iter()
                .all(|r| r.state == MessageState::Sent)
                .then_some(m)
        },
    )
    .await
}
