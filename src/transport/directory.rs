//! Wharf's outbox folder as an outbound channel (`[outbound] channel = "directory"`): each
//! document is written to `<outbox>/<partner>/<file>`, where the partner (or Wharf's SFTP
//! server) picks it up.

use std::path::PathBuf;

use futures_util::future::BoxFuture;

use crate::pipeline::ports::{Delivery, Outbound, Outgoing, Receipt, SendFailure};
use crate::store::Channel;
use crate::util::files::{WriteError, file_component, write_atomically};

/// The outbox folder.
pub struct Directory {
    pub outbox: PathBuf,
}

impl Outbound for Directory {
    fn send<'a>(&'a self, out: Outgoing<'a>) -> BoxFuture<'a, Result<Delivery, SendFailure>> {
        Box::pin(async move {
            let path = self
                .outbox
                .join(file_component(out.profile.id.as_str()))
                .join(file_component(out.filename));
            write_atomically(&path, out.raw)
                .await
                .map_err(|e| match e {
                    WriteError::NoFolder(_) => SendFailure::Permanent(e.to_string()),
                    WriteError::Io { .. } => SendFailure::Refused(e.to_string()),
                })?;
            Ok(Delivery {
                channel: Channel::Directory,
                text: format!("written to {}", path.display()),
                receipt: Receipt::Nothing,
            })
        })
    }
}
