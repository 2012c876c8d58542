//! The pipeline's ports: what the core asks of its edges, defined here so the core never
//! names a transport or an ERP. The send stage hands a stored outbound document to an
//! [`Outbound`] (a folder, a partner's FTP/SFTP servers, AS2); the deliver stage hands mapped
//! documents to the [`ErpSink`] (a folder, Odoo). The stages keep everything about jobs,
//! transactions and events; an edge does the network (or the file system) and says what
//! happened. The dry run asks a [`RecordPlanner`] for the records an ERP would write. The
//! composition root (`app::ports`) builds the real implementations.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::partners::{OutboundChannel, Profile};
use crate::store::messages::Message;
use crate::store::{Channel, StoreError};

pub use super::mapping::{
    Finding, Mapped, MappedLine, MappedOrder, MappedReceipt, ProductField, ProductKey, ReceiptLine,
    ReceiptOrder, escape_key, map_order, map_ship_notice,
};
pub(crate) use super::stages::outbound_doc_ref;

/// The edges the pipeline's stages use, one per role; cheap to clone.
#[derive(Clone)]
pub struct Ports {
    /// Where mapped documents go.
    pub erp: Arc<dyn ErpSink>,
    /// `[outbound] channel = "directory"`: Wharf's outbox folder.
    pub directory: Arc<dyn Outbound>,
    /// `[outbound] channel = "deliver"`: the partner's own servers.
    pub deliver: Arc<dyn Outbound>,
    /// `[outbound] channel = "as2"`.
    pub as2: Arc<dyn Outbound>,
    /// What the ERP would write for a mapped document: the dry run's records.
    pub planner: Arc<dyn RecordPlanner>,
}

impl Ports {
    /// The edge that sends on `channel`.
    pub fn outbound(&self, channel: OutboundChannel) -> &Arc<dyn Outbound> {
        match channel {
            OutboundChannel::Directory => &self.directory,
            OutboundChannel::Deliver => &self.deliver,
            OutboundChannel::As2 => &self.as2,
        }
    }
}

/// Shows the records an ERP would write for a mapped document without touching the ERP: the
/// dry run (`pipeline::dryrun::plan`) asks it, so the core need not know the ERP's records.
pub trait RecordPlanner: Send + Sync + 'static {
    /// The records `doc` means in the ERP's major version `version` (Odoo: 18, 19, …).
    fn records(&self, doc: &Mapped, version: u32) -> serde_json::Value;
}

/// One stored outbound document to send.
#[derive(Clone, Copy)]
pub struct Outgoing<'a> {
    pub profile: &'a Profile,
    /// The stored message (id, file name, format, digest, control numbers).
    pub message: &'a Message,
    /// The name it goes out under (its stored file name, or one made from its id).
    pub filename: &'a str,
    pub raw: &'a [u8],
}

/// A document sent: what the send stage records, in its transaction.
#[derive(Debug)]
pub struct Delivery {
    /// The channel recorded on the message.
    pub channel: Channel,
    /// The text of the `sent` event.
    pub text: String,
    pub receipt: Receipt,
}

/// What the send stage writes beside the message's new state.
#[derive(Debug)]
pub enum Receipt {
    /// Nothing more (a file in Wharf's own outbox).
    Nothing,
    /// One transfer row per remote folder that now holds the file (`store::transfers`).
    Transfers(Vec<Transferred>),
    /// The AS2 record of the message (`store::as2::record_sent`).
    As2 {
        as2_message_id: String,
        mic: String,
        mic_alg: &'static str,
        /// The MDN's summary, when one came with the answer.
        mdn: Option<String>,
        /// The send's Message-ID is settled and may be released (`store::as2::release_send_id`).
        release_send_id: bool,
    },
}

/// One remote folder a document was put into.
#[derive(Debug, Clone)]
pub struct Transferred {
    /// The folder's URL.
    pub remote: String,
    /// The file's name there.
    pub name: String,
}

/// Why a send did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SendFailure {
    /// The partner's server is away: waited for without using attempts, at least `retry_in`,
    /// as long as the profile's `retry_for` allows.
    #[error("{reason}")]
    Unavailable { reason: String, retry_in: Duration },
    /// A login, certificate, permission or write problem: the usual attempts, then dead
    /// letters.
    #[error("{0}")]
    Refused(String),
    /// Retrying cannot help: straight to dead letters.
    #[error("{0}")]
    Permanent(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sends one stored outbound document over a partner's channel.
pub trait Outbound: Send + Sync + 'static {
    fn send<'a>(&'a self, out: Outgoing<'a>) -> BoxFuture<'a, Result<Delivery, SendFailure>>;
}

/// When an ERP is given a document relative to the deliver stage's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErpMode {
    /// Inside the transaction, once the document registry has claimed the document for this
    /// message: a document another message already delivered is skipped. For a sink that
    /// cannot find its own duplicates (a folder).
    Claimed,
    /// Before the transaction opens, every document: the ERP finds a document it already
    /// has by its own key, so a crash after the ERP committed creates nothing twice.
    /// The stage then claims each and links the ERP's record.
    Before,
}

/// One document the ERP took.
#[derive(Debug, Clone)]
pub struct Put {
    /// The ERP's record, linked in the document registry (`Before` sinks).
    pub record: Option<ErpRecord>,
    /// What happened, for the `delivered` event.
    pub text: String,
    /// Worth an operator's look; each becomes a warning event.
    pub warnings: Vec<String>,
}

/// A record in the ERP.
#[derive(Debug, Clone, Copy)]
pub struct ErpRecord {
    pub model: &'static str,
    pub id: i64,
}

/// Why the ERP did not take a document.
#[derive(Debug, thiserror::Error)]
pub enum ErpFailure {
    /// The ERP does not answer: waited for without using attempts, at least `retry_in`, for
    /// `wait` from the job's creation.
    #[error("{reason}")]
    Unavailable {
        reason: String,
        retry_in: Duration,
        wait: Duration,
    },
    /// May pass: the usual attempts.
    #[error("{0}")]
    Transient(String),
    /// Needs the operator.
    #[error("{0}")]
    Permanent(String),
}

/// Where mapped documents go.
pub trait ErpSink: Send + Sync + 'static {
    fn mode(&self) -> ErpMode;
    /// Gives the ERP one document for `partner`.
    fn put<'a>(
        &'a self,
        partner: &'a str,
        doc: &'a Mapped,
    ) -> BoxFuture<'a, Result<Put, ErpFailure>>;

    /// Whether the ERP answers now, with what it said (for readiness). An ERP that needs no
    /// connection (a folder) is always ready.
    fn ready(&self) -> BoxFuture<'_, Result<String, String>> {
        Box::pin(async { Ok("no connection needed".to_owned()) })
    }
}
