//! The transport edge: how partners' bytes arrive and leave besides HTTP. `sftp/` is Wharf's
//! own SFTP server; `remote/` is Wharf as a client of partners' own FTP, FTPS and SFTP
//! servers (collection and delivery); `as2/` receives AS2 messages and answers
//! them with MDNs.

pub mod as2;
pub mod remote;
pub mod sftp;
