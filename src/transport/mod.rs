//! The transport edge: how partners' bytes arrive and leave besides HTTP. `sftp/` is Wharf's
//! own SFTP server; `remote/` is Wharf as a client of partners' own FTP, FTPS and SFTP
//! servers (collection and delivery); AS2 joins them with its issue.

pub mod remote;
pub mod sftp;
