//! `wharf collect`: one collection round on partners' `[[collect]]` folders now.

use super::*;

/// One collection round on each `[[collect]]` folder, one folder after another.
pub(super) async fn collect(s: Settings, only: Option<&str>) -> anyhow::Result<ExitCode> {
    use crate::transport::remote::collect::collect_once;
    if let Some(id) = only {
        named_profile(&s, id)?;
    }
    let p = pipeline(s).await?;
    let mut failed = false;
    let snapshot = p.partners.snapshot();
    let mut out = std::io::stdout().lock();
    for profile in snapshot.iter() {
        if only.is_some_and(|id| id != profile.id.as_str()) {
            continue;
        }
        for remote in &profile.channels.collect {
            match collect_once(&p, profile.id.as_str(), remote, None).await {
                Ok(r) if r.busy => writeln!(
                    out,
                    "{} {}: another instance is collecting",
                    profile.id,
                    remote.url()
                )?,
                Ok(r) => writeln!(
                    out,
                    "{} {}: {} collected{}, {} already stored, {} left, {} not removed",
                    profile.id,
                    remote.url(),
                    r.collected.len(),
                    if r.collected.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " (messages {})",
                            r.collected
                                .iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    },
                    r.already_stored,
                    r.left,
                    r.not_removed
                )?,
                Err(e) => {
                    failed = true;
                    writeln!(out, "{} {}: failed: {e}", profile.id, remote.url())?;
                }
            }
        }
    }
    drop(out);
    p.store.close().await;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
