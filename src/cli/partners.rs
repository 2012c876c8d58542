//! `wharf partners`: profile checks, password hashes, API tokens, the SFTP client key.

use super::*;

pub(super) fn partners_check(s: &Settings) -> anyhow::Result<ExitCode> {
    let (partners, problems) = Partners::load(&s.partners_dir);
    for p in partners.iter() {
        println!("ok      {}  {} ({})", p.id, p.name, p.source.display());
        println!("        {}", p.summary());
    }
    for e in &problems {
        println!("error   {e}");
    }
    println!(
        "{} profile(s) loaded, {} problem(s)",
        partners.len(),
        problems.len()
    );
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `wharf partners hash-password`: the argon2id hash of the password on standard input.
pub(super) fn hash_password() -> anyhow::Result<ExitCode> {
    let password = read_secret("the partner's password")?;
    let password = password.as_str();
    if password.is_empty() {
        return Err(UsageError("no password on standard input".into()).into());
    }
    println!("{}", crate::partners::channels::hash_password(password)?);
    Ok(ExitCode::SUCCESS)
}

/// `wharf partners api-token ID`: a new partner API token and the hash for its profile.
pub(super) fn api_token(partner: &str) -> anyhow::Result<ExitCode> {
    crate::partners::PartnerId::parse(partner)
        .map_err(|e| UsageError(format!("`{partner}`: {e}")))?;
    let token = crate::web::admin::auth::new_token();
    println!("{token}");
    eprintln!(
        "give the token to {partner} (Authorization: Bearer TOKEN) and add to partners/{partner}.toml:\n[api]\ntoken_sha256 = \"{}\"",
        crate::web::admin::auth::token_hash(&token)
    );
    Ok(ExitCode::SUCCESS)
}

/// `wharf partners client-key`: the public key Wharf logs in with on partners' SFTP servers.
pub(super) fn client_key(s: &Settings) -> anyhow::Result<ExitCode> {
    let key = crate::transport::sftp::host_key(&s.transfers.client_key)?;
    println!("{}", key.public_key().to_openssh()?);
    Ok(ExitCode::SUCCESS)
}
