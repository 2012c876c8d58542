//! The SHA-256 fingerprint of an SSH key file (`SHA256:…`, as `ssh-keygen -l` and the
//! OpenSSH client print it): the SFTP server's host key in `serve`'s banner, on a partner's
//! admin page and after `wharf partners add-key`, so all three always agree.

use std::path::Path;

/// The fingerprint of the public half of the OpenSSH private key at `path`; `None` when the
/// file cannot be read (the server makes its key on first start; nothing is made here).
pub fn key_file_fingerprint(path: &Path) -> Option<String> {
    let key = russh::keys::PrivateKey::read_openssh_file(path).ok()?;
    Some(
        key.public_key()
            .fingerprint(russh::keys::HashAlg::Sha256)
            .to_string(),
    )
}
