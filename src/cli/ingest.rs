//! `wharf ingest`: files submitted through the same path a partner's drop takes.

use super::*;

pub(super) async fn ingest(
    s: Settings,
    files: &[PathBuf],
    partner: &str,
) -> anyhow::Result<ExitCode> {
    let p = pipeline(s).await?;
    if p.partners.snapshot().get(partner).is_none() {
        return Err(UsageError(format!(
            "partner `{partner}` has no loaded profile in {} (see `wharf partners check`)",
            p.settings.partners_dir.display()
        ))
        .into());
    }
    for file in files {
        let raw = std::fs::read(file)
            .map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
        let name = file.file_name().and_then(|n| n.to_str());
        let id = p
            .receive(&Inbound {
                channel: Channel::Cli,
                partner: Some(partner),
                filename: name,
                raw: &raw,
                trace: None,
            })
            .await?;
        println!("{id}\t{}", file.display());
    }
    p.store.close().await;
    Ok(ExitCode::SUCCESS)
}
