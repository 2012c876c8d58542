//! The transport edge: how partners' bytes arrive and leave besides HTTP. `sftp/` is Wharf's
//! own SFTP server; FTP/SFTP collection and delivery and AS2 join it with their issues.

pub mod sftp;
