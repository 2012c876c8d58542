//! `wharf partners`: profile checks, password hashes, API tokens, the SFTP client key, and
//! onboarding (`new`, `add-key`, `set-password`, through `partners::scaffold`).

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

/// A partner to onboard from its id and template word, the options left empty.
pub(super) fn new_partner(
    id: &str,
    from: &str,
) -> anyhow::Result<crate::partners::scaffold::NewPartner> {
    use crate::partners::scaffold::{NewPartner, Template};
    NewPartner::new(id, Template::parse(from).map_err(usage)?).map_err(usage)
}

/// Onboarding errors are the operator's input (exit 2), except the files failing.
fn usage(e: crate::partners::scaffold::OnboardError) -> anyhow::Error {
    use crate::partners::scaffold::OnboardError;
    match e {
        OnboardError::Io { .. } => e.into(),
        e => UsageError(e.to_string()).into(),
    }
}

/// Who changed a profile from the command line, for its history file's name.
fn cli_user() -> String {
    std::env::var("USER").map_or_else(|_| "cli".to_owned(), |u| format!("cli.{u}"))
}

/// `wharf partners new ID --from TEMPLATE`: the profile written, its path and what is left
/// to do.
pub(super) fn new(
    s: &Settings,
    new: &crate::partners::scaffold::NewPartner,
) -> anyhow::Result<ExitCode> {
    use crate::partners::scaffold;
    let path = scaffold::create(&s.partners_dir, new).map_err(usage)?;
    let id = &new.id;
    println!("{}", path.display());
    let text = std::fs::read_to_string(&path)?;
    eprintln!(
        "made from the {} sample ({}); next:",
        new.template.word(),
        new.template.describe()
    );
    let todo = scaffold::to_do(&text);
    eprintln!(
        "  1. fill in its {} `To do` line(s) with the partner's real values:",
        todo.len()
    );
    for t in &todo {
        eprintln!("       - {t}");
    }
    eprintln!(
        "  2. a login on Wharf's SFTP server, if it uses it: wharf partners add-key {id} FILE.pub\n     \
         (or wharf partners set-password {id})\n  \
         3. a sample file through its rules, nothing stored: wharf translate FILE --partner {id} --plan\n  \
         4. wharf partners check; a running `wharf serve` loads the profile by itself\n  \
         The partner's page in the admin pages lists the same steps: /admin/partners/{id}"
    );
    Ok(ExitCode::SUCCESS)
}

/// `wharf partners add-key ID FILE`: the key checked and written into the profile.
pub(super) fn add_key(s: &Settings, partner: &str, file: &Path) -> anyhow::Result<ExitCode> {
    use crate::partners::scaffold::{self, SshPublicKey};
    use std::io::Read;
    let text = if file.as_os_str() == "-" {
        let mut t = String::new();
        std::io::stdin().read_to_string(&mut t)?;
        t
    } else {
        std::fs::read_to_string(file).map_err(|e| UsageError(format!("{}: {e}", file.display())))?
    };
    let key = SshPublicKey::parse(&text).map_err(usage)?;
    let saved = scaffold::add_key(&s.partners_dir, partner, &key, &cli_user()).map_err(usage)?;
    println!(
        "added {} to {partner}'s SFTP login in {}",
        key.fingerprint(),
        saved.path.display()
    );
    if let Some(kept) = &saved.kept {
        println!("the previous version is kept in {}", kept.display());
    }
    host_key_line(s);
    Ok(ExitCode::SUCCESS)
}

/// `wharf partners set-password ID`: the password read like `hash-password` does, its hash
/// written into the profile.
pub(super) fn set_password(s: &Settings, partner: &str) -> anyhow::Result<ExitCode> {
    use crate::partners::scaffold;
    // The profile must exist before anyone is asked for a password.
    let id = crate::partners::PartnerId::parse(partner)
        .map_err(|e| UsageError(format!("`{partner}`: {e}")))?;
    let path = scaffold::profile_path(&s.partners_dir, &id);
    if !path.exists() {
        return Err(usage(scaffold::OnboardError::NoProfile {
            id: partner.to_owned(),
            path,
        }));
    }
    let password = read_secret(&format!("{partner}'s SFTP password"))?;
    let saved =
        scaffold::set_password(&s.partners_dir, partner, &password, &cli_user()).map_err(usage)?;
    println!(
        "set {partner}'s SFTP password (its argon2id hash) in {}",
        saved.path.display()
    );
    if let Some(kept) = &saved.kept {
        println!("the previous version is kept in {}", kept.display());
    }
    host_key_line(s);
    Ok(ExitCode::SUCCESS)
}

/// What the partner checks on its first connection, when the server has its key already.
fn host_key_line(s: &Settings) {
    if let Some(fp) = s
        .sftp
        .as_ref()
        .and_then(|c| crate::util::ssh::key_file_fingerprint(&c.host_key))
    {
        println!("Wharf's SFTP host key, for the partner to check: {fp}");
    }
}
