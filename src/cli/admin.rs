//! `wharf admin`: operator accounts and API tokens.

use super::*;

pub(super) async fn admin_cmd(s: Settings, cmd: &AdminCommand) -> anyhow::Result<ExitCode> {
    use crate::store::admin::{self, Role};
    let role_of = |r: &str| {
        Role::parse(r)
            .ok_or_else(|| UsageError(format!("`{r}` is not a role (viewer, operator or admin)")))
    };
    let name_ok = |n: &str| -> Result<(), UsageError> {
        if n.is_empty()
            || n.len() > 64
            || !n
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
        {
            return Err(UsageError(format!(
                "`{n}` is not a name: 1 to 64 letters, digits, '.', '_', '-' or '@'"
            )));
        }
        Ok(())
    };
    let store = Store::open(&s.database, crate::store::Schema::CreateOnly).await?;
    match cmd {
        AdminCommand::AddUser { name, role } => {
            name_ok(name)?;
            let role = role_of(role)?;
            let password = read_secret(&format!("password for {name}"))?;
            let password = password.as_str();
            if password.chars().count() < 12 {
                return Err(UsageError(
                    "the password (on standard input) must have at least 12 characters".into(),
                )
                .into());
            }
            let hash = crate::partners::channels::hash_password(password)?;
            admin::put_user(&store, name, &hash, role).await?;
            println!("operator {name} ({role}) can sign in at /admin");
        }
        AdminCommand::AddToken { name, role } => {
            name_ok(name)?;
            let role = role_of(role)?;
            let token = crate::web::admin::auth::new_token();
            admin::put_token(
                &store,
                name,
                &crate::web::admin::auth::token_hash(&token),
                role,
            )
            .await?;
            println!("{token}");
            eprintln!("API token for {name} ({role}); send it as `Authorization: Bearer TOKEN`");
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
