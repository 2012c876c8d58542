//! The transport edge: how partners' bytes arrive and leave besides HTTP. `sftp/` is Wharf's
//! own SFTP server; `remote/` is Wharf as a client of partners' own FTP, FTPS and SFTP
//! servers (collection and delivery); `as2/` receives AS2 messages and answers
//! them with MDNs; `directory.rs` is Wharf's outbox folder. Each outbound channel implements
//! the pipeline's `Outbound` port.

pub mod as2;
pub mod directory;
pub mod remote;
pub mod sftp;
