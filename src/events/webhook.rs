//! Webhook subscribers: each event POSTed as JSON, signed with HMAC-SHA256 over
//! `<timestamp>.<body>` with the subscriber's secret, so the receiver can check that Wharf
//! sent it and that it is fresh (the timestamp is inside what is signed).
//!
//! Any 2xx is taken as received; anything else, or no answer within `[events] timeout_ms`,
//! is a failed attempt. One event at a time, in event order, so a receiver sees each
//! partner's sequence ascending unless a retry intervenes.

use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;

use super::DeliveryError;
use crate::config::WebhookSettings;
use crate::store::outbox::Due;

/// `Wharf-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub const SIGNATURE_HEADER: &str = "wharf-signature";

/// The signature header's value for `body` sent at `unix_seconds`. HMAC by OpenSSL, already
/// Wharf's crypto library for AS2: no second implementation of SHA-256 to keep.
pub fn sign(secret: &str, unix_seconds: i64, body: &str) -> String {
    let mac = PKey::hmac(secret.as_bytes())
        .and_then(|key| {
            let mut s = Signer::new(MessageDigest::sha256(), &key)?;
            s.update(unix_seconds.to_string().as_bytes())?;
            s.update(b".")?;
            s.update(body.as_bytes())?;
            s.sign_to_vec()
        })
        // HMAC-SHA256 with an in-memory key has no failure but allocation.
        .unwrap_or_default();
    format!("t={unix_seconds},v1={}", hex::encode(mac))
}

pub(super) struct Webhook {
    pub(super) settings: WebhookSettings,
    http: reqwest::Client,
}

impl Webhook {
    pub(super) fn new(settings: WebhookSettings, http: reqwest::Client) -> Self {
        Self { settings, http }
    }

    /// One outcome per delivery, in order; `None` for those not tried after a failure.
    pub(super) async fn deliver(&self, batch: &[Due]) -> Vec<Option<Result<(), DeliveryError>>> {
        let mut out = Vec::with_capacity(batch.len());
        let mut failed = false;
        for due in batch {
            if failed {
                out.push(None);
                continue;
            }
            let r = self.post(due).await;
            failed = r.is_err();
            out.push(Some(r));
        }
        out
    }

    async fn post(&self, due: &Due) -> Result<(), DeliveryError> {
        let body = due.event.json();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        // The message's trace continued by the subscriber (its span a child of the message's).
        let answer = crate::telemetry::traced(self.http.post(&self.settings.url), due.event.trace)
            .header("content-type", "application/json")
            .header("wharf-event-id", due.event.id.to_string())
            .header("wharf-event-type", due.event.kind.as_str())
            .header("wharf-delivery", due.delivery_id.to_string())
            .header(SIGNATURE_HEADER, sign(&self.settings.secret, now, &body))
            .body(body)
            .send()
            .await?;
        let status = answer.status();
        if status.is_success() {
            return Ok(());
        }
        // A little of what the receiver said, for the operator; never more.
        let text = answer.text().await.unwrap_or_default();
        Err(DeliveryError::Status {
            status: status.as_u16(),
            body: text.chars().take(200).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_time_dot_body() {
        // The value the openssl CLI gives, as a receiver would compute it:
        // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac 'Jefe-secret-key-0123'
        let s = sign("Jefe-secret-key-0123", 1_700_000_000, "{\"a\":1}");
        assert_eq!(
            s,
            "t=1700000000,v1=fb8f1b0b8cf174328a159de81f8ca2fde724ca740b00ffc0b403a5a1168a1abe"
        );
        assert_ne!(s, sign("Jefe-secret-key-0124", 1_700_000_000, "{\"a\":1}"));
        assert_ne!(s, sign("Jefe-secret-key-0123", 1_700_000_001, "{\"a\":1}"));
    }
}
