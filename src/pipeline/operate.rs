//! What operators do to messages (through the admin pages, the JSON API or the CLI): retry
//! dead jobs, cancel (replay is `Pipeline::replay_with`, beside `replay`). Each change, its event in the message's history and its line
//! in the audit log are one transaction.

use super::Pipeline;
use crate::store::events::{self, NewEvent};
use crate::store::{EventKind, MessageId, MessageState, Stage, StoreError, admin, jobs, messages};

impl Pipeline {
    /// Runs a message's dead jobs again with fresh attempts; how many there were.
    pub async fn retry(&self, id: MessageId, actor: &str) -> Result<usize, StoreError> {
        let mut tx = self.store.begin().await?;
        messages::touch(&mut tx, id).await?;
        let revived = jobs::revive_dead(&mut tx, Some(id), None).await?;
        self.note_retried(&mut tx, &revived, &format!("by {actor}"))
            .await?;
        if !revived.is_empty() {
            admin::record(&mut tx, actor, "message.retry", &id.to_string(), "").await?;
        }
        tx.commit().await?;
        self.wake.notify_one();
        Ok(revived.len())
    }

    /// Retries every dead job of `stage` that failed with exactly `reason` (a dead-letter
    /// group, after its cause was fixed); how many.
    pub async fn retry_group(
        &self,
        stage: &str,
        reason: &str,
        actor: &str,
    ) -> Result<usize, StoreError> {
        let Some(stage) = Stage::parse(stage) else {
            return Ok(0);
        };
        let mut tx = self.store.begin().await?;
        let revived = jobs::revive_dead(&mut tx, None, Some((stage, reason))).await?;
        self.note_retried(&mut tx, &revived, &format!("with its group by {actor}"))
            .await?;
        admin::record(
            &mut tx,
            actor,
            "dead.retry",
            stage.as_str(),
            &format!("{} job(s); reason: {reason}", revived.len()),
        )
        .await?;
        tx.commit().await?;
        for _ in 0..revived.len().min(64) {
            self.wake.notify_one();
        }
        Ok(revived.len())
    }

    /// One event per revived job in its message's history.
    async fn note_retried(
        &self,
        tx: &mut crate::store::Tx,
        revived: &[(MessageId, Stage)],
        how: &str,
    ) -> Result<(), StoreError> {
        for (message_id, stage) in revived {
            events::append(
                tx,
                *message_id,
                &NewEvent {
                    kind: EventKind::RetryScheduled,
                    stage: Some(*stage),
                    detail: Some(&format!("dead {stage} job retried {how}")),
                    instance: &self.instance,
                },
            )
            .await?;
        }
        Ok(())
    }

    /// Stops a message: its waiting and dead jobs closed, its state `cancelled`.
    pub async fn cancel(&self, id: MessageId, actor: &str) -> Result<(), StoreError> {
        let mut tx = self.store.begin().await?;
        messages::touch(&mut tx, id).await?;
        let closed = jobs::close_open(&mut tx, id, &format!("cancelled by {actor}")).await?;
        messages::set_state(
            &mut tx,
            id,
            MessageState::Cancelled,
            Some(&format!("cancelled by {actor}")),
        )
        .await?;
        events::append(
            &mut tx,
            id,
            &NewEvent {
                kind: EventKind::Cancelled,
                stage: None,
                detail: Some(&format!("cancelled by {actor}; {closed} job(s) closed")),
                instance: &self.instance,
            },
        )
        .await?;
        admin::record(&mut tx, actor, "message.cancel", &id.to_string(), "").await?;
        tx.commit().await?;
        Ok(())
    }
}
