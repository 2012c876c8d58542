//! `wharf odoo check [--partner ID]`: whether the configured Odoo is ready for Wharf (reached,
//! version and protocol, login, rights per model, the records each profile relies on), one
//! `ok|MISSING|FAIL` line per step with its fix; exit 0 only when every line is ok. Reads
//! Odoo and the profiles only: no store is opened, nothing is migrated or written.

use super::*;

pub(super) async fn odoo_check(s: &Settings, partner: Option<&str>) -> anyhow::Result<ExitCode> {
    let crate::config::ErpTarget::Odoo(odoo) = &s.erp else {
        return Err(UsageError(
            "`wharf odoo check` needs Odoo as the ERP: set [erp] kind = \"odoo\" with url, \
             database, login and the API key (see docs/odoo.md)"
                .into(),
        )
        .into());
    };
    let partners = load_partners(s, false);
    let profiles: Vec<&crate::partners::Profile> = match partner {
        Some(id) => vec![partners.get(id).ok_or_else(|| {
            UsageError(format!(
                "partner `{id}` has no loaded profile in {} (see `wharf partners check`)",
                s.partners_dir.display()
            ))
        })?],
        None => partners.iter().collect(),
    };
    let client = crate::erp::odoo::OdooClient::new(odoo.clone())?;
    let report = crate::erp::odoo::check::check(&client, &profiles).await;
    let mut out = std::io::stdout().lock();
    for f in &report.findings {
        writeln!(out, "{f}")?;
    }
    let problems = report
        .findings
        .iter()
        .filter(|f| f.status != crate::erp::odoo::check::Status::Ok)
        .count();
    if problems == 0 {
        writeln!(
            out,
            "Odoo is ready for Wharf ({} profiles checked).",
            profiles.len()
        )?;
        Ok(ExitCode::SUCCESS)
    } else {
        writeln!(
            out,
            "{problems} to fix before Wharf can work with this Odoo."
        )?;
        Ok(ExitCode::from(1))
    }
}
