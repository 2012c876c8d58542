//! Delivery of an outbound message to the profile's `[[deliver]]` folders: each gets the
//! bytes under a temporary name, renamed into place once complete, so a partner never picks
//! up half a file. The pipeline's `Outbound` port for `[outbound] channel = "deliver"`: the
//! send stage records the transfers and retries a failure with the pipeline's backoff.

use super::{ErrorKind, RemoteError, Session, down_servers, plain_name};
use crate::partners::Profile;
use crate::partners::channels::Remote;
use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::config::Settings;
use crate::metrics::{Metrics, TransferDirection};
use crate::pipeline::ports::{Delivery, Outbound, Outgoing, Receipt, SendFailure, Transferred};
use crate::store::channel_health::{self, Attempt};
use crate::store::messages::Message;
use crate::store::{Channel, ChannelKind, Format, Store};

/// One folder that now holds the message.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub remote: Remote,
    pub name: String,
}

/// The file extension of a syntax, for `{ext}` in names.
fn extension(format: Option<Format>) -> &'static str {
    match format {
        Some(Format::X12) => "x12",
        Some(Format::Edifact) => "edi",
        Some(Format::Xml) => "xml",
        Some(Format::Unknown) | None => "dat",
    }
}

/// The remote file name of `msg` in `remote`, from its `name` template. Values that would
/// make the result a path are replaced, so it stays one plain name in the folder.
pub fn remote_name(remote: &Remote, profile: &Profile, msg: &Message) -> String {
    let control = msg
        .control_number
        .clone()
        .unwrap_or_else(|| msg.id.to_string());
    let name = remote.file_name(
        profile.id.as_str(),
        msg.doc_type.as_deref().unwrap_or("doc"),
        &control,
        extension(msg.format),
    );
    if plain_name(&name) && !name.starts_with('.') {
        name
    } else {
        crate::util::files::file_component(&name)
    }
}

/// Puts `raw` into every `[[deliver]]` folder of the profile, in order, counting each
/// upload and each failure into `metrics`. A folder whose server was found down moments ago
/// is not tried (the error says when it will be) and counts as no transfer; every folder
/// tried has the outcome recorded in its channel's health (`store::channel_health`).
pub async fn deliver(
    store: &Store,
    settings: &Settings,
    metrics: &Metrics,
    profile: &Profile,
    msg: &Message,
    raw: &[u8],
) -> Result<Vec<Delivered>, RemoteError> {
    let mut done = Vec::new();
    let partner = profile.id.as_str();
    for remote in &profile.channels.deliver {
        let protocol = remote.protocol.scheme();
        let url = remote.url();
        if let Some(left) = down_servers().down_for(&url) {
            return Err(RemoteError {
                url,
                kind: ErrorKind::Unreachable,
                detail: format!(
                    "was unreachable moments ago; not tried again for {} s",
                    left.as_secs().max(1)
                ),
            });
        }
        let name = remote_name(remote, profile, msg);
        let put = async {
            let mut session = Session::open(store, settings, remote).await?;
            let put = session.put(&name, raw).await;
            session.close().await;
            put
        }
        .await;
        let next_try_at = put.as_ref().err().and_then(|_| {
            down_servers()
                .down_for(&url)
                .map(|left| crate::store::now_ms() + left.as_millis() as i64)
        });
        let error = put.as_ref().err().map(ToString::to_string);
        let attempt = match &error {
            None => Attempt::Succeeded,
            Some(e) => Attempt::Failed(e),
        };
        if let Err(e) = channel_health::record(
            store,
            partner,
            ChannelKind::Deliver,
            &url,
            attempt,
            next_try_at,
        )
        .await
        {
            tracing::warn!(partner, server = %url, error = %e, "delivery not recorded in the channel's health");
        }
        if let Err(e) = put {
            metrics.transfer_failed(
                partner,
                TransferDirection::Deliver,
                protocol,
                e.kind.as_label(),
            );
            return Err(e);
        }
        metrics.transfer_done(partner, TransferDirection::Deliver, protocol, raw.len());
        tracing::info!(partner = %profile.id, server = %url, file = %name, size = raw.len(), "delivered");
        done.push(Delivered {
            remote: remote.clone(),
            name,
        });
    }
    Ok(done)
}

/// The partner's own servers as an outbound channel.
pub struct Deliver {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
}

impl Outbound for Deliver {
    fn send<'a>(&'a self, out: Outgoing<'a>) -> BoxFuture<'a, Result<Delivery, SendFailure>> {
        Box::pin(async move {
            let done = deliver(
                &self.store,
                &self.settings,
                &self.metrics,
                out.profile,
                out.message,
                out.raw,
            )
            .await
            .map_err(|e| match e.kind {
                // The server is away: wait for it.
                ErrorKind::Unreachable | ErrorKind::Broken => SendFailure::Unavailable {
                    retry_in: down_servers().down_for(&e.url).unwrap_or_default(),
                    reason: e.to_string(),
                },
                // A login, certificate or permission problem wants an operator.
                _ => SendFailure::Refused(e.to_string()),
            })?;
            let places: Vec<String> = done
                .iter()
                .map(|d| format!("{}/{}", d.remote.url().trim_end_matches('/'), d.name))
                .collect();
            let channel = done
                .first()
                .map(|d| super::collect::channel_of(&d.remote))
                .unwrap_or(Channel::Directory);
            let text = format!(
                "delivered to {} ({} bytes)",
                places.join(", "),
                out.raw.len()
            );
            let receipt = Receipt::Transfers(
                done.into_iter()
                    .map(|d| Transferred {
                        remote: d.remote.url(),
                        name: d.name,
                    })
                    .collect(),
            );
            Ok(Delivery {
                channel,
                text,
                receipt,
            })
        })
    }
}
