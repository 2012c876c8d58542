//! Delivery of an outbound message to the profile's `[[deliver]]` folders: each gets the
//! bytes under a temporary name, renamed into place once complete, so a partner never picks
//! up half a file. Called by the send stage, which records the transfers and retries a
//! failure with the pipeline's backoff.

use super::{ErrorKind, RemoteError, Session, down_servers, plain_name};
use crate::partners::Profile;
use crate::partners::channels::Remote;
use crate::pipeline::Pipeline;
use crate::store::Format;
use crate::store::messages::Message;

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

/// Puts `raw` into every `[[deliver]]` folder of the profile, in order. A folder whose
/// server was found down moments ago is not tried (the error says when it will be).
pub async fn deliver(
    p: &Pipeline,
    profile: &Profile,
    msg: &Message,
    raw: &[u8],
) -> Result<Vec<Delivered>, RemoteError> {
    let mut done = Vec::new();
    for remote in &profile.channels.deliver {
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
        let mut session = Session::open(p, remote).await?;
        let put = session.put(&name, raw).await;
        session.close().await;
        put?;
        tracing::info!(partner = %profile.id, server = %url, file = %name, size = raw.len(), "delivered");
        done.push(Delivered {
            remote: remote.clone(),
            name,
        });
    }
    Ok(done)
}
