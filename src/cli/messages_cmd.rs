//! `wharf messages` and `wharf replay`: the store as the operator sees it from a shell.

use super::*;

pub(super) fn time_text(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:3]Z"
            ))
            .ok()
        })
        .unwrap_or_else(|| ms.to_string())
}

pub(super) async fn messages_cmd(s: Settings, cmd: &MessagesCommand) -> anyhow::Result<ExitCode> {
    // Listing and showing only read: they never create or migrate the database.
    let store = Store::open(&s.database, crate::store::Schema::AsIs).await?;
    let mut out = std::io::stdout().lock();
    match cmd {
        MessagesCommand::List {
            state,
            partner,
            limit,
            json,
        } => {
            let state = match state {
                Some(st) => Some(MessageState::parse(st).ok_or_else(|| {
                    UsageError(format!(
                        "`{st}` is not a state; one of: {}",
                        MessageState::ALL
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?),
                None => None,
            };
            let list = messages::list(
                &store,
                &Filter {
                    state,
                    partner: partner.clone(),
                    direction: None,
                    limit: *limit,
                },
            )
            .await?;
            if *json {
                for m in &list {
                    serde_json::to_writer(&mut out, m)?;
                    writeln!(out)?;
                }
            } else {
                writeln!(
                    out,
                    "{:>6}  {:<3}  {:<9}  {:<12}  {:<8}  {:<11}  {:>8}  {:<24}  ERROR",
                    "ID", "DIR", "CHANNEL", "PARTNER", "DOC", "STATE", "BYTES", "CREATED"
                )?;
                for m in &list {
                    writeln!(
                        out,
                        "{:>6}  {:<3}  {:<9}  {:<12}  {:<8}  {:<11}  {:>8}  {:<24}  {}",
                        m.id,
                        m.direction,
                        m.channel,
                        m.partner.as_deref().unwrap_or("-"),
                        m.doc_type.as_deref().unwrap_or("-"),
                        m.state,
                        m.size,
                        time_text(m.created_at),
                        m.error.as_deref().unwrap_or("")
                    )?;
                }
            }
        }
        MessagesCommand::Show { id, raw } => {
            if *raw {
                let bytes = messages::raw(&store, *id).await?;
                out.write_all(&bytes)?;
                return Ok(ExitCode::SUCCESS);
            }
            let m = match messages::get(&store, *id).await {
                Err(crate::store::StoreError::NoSuchMessage(id)) => {
                    return Err(UsageError(format!("message {id} does not exist")).into());
                }
                other => other?,
            };
            writeln!(out, "message {}", m.id)?;
            writeln!(out, "  direction  {}", m.direction)?;
            writeln!(out, "  channel    {}", m.channel)?;
            writeln!(out, "  partner    {}", m.partner.as_deref().unwrap_or("-"))?;
            writeln!(
                out,
                "  format     {}",
                m.format.map(|f| f.as_str()).unwrap_or("-")
            )?;
            writeln!(out, "  document   {}", m.doc_type.as_deref().unwrap_or("-"))?;
            writeln!(
                out,
                "  control    {}",
                m.control_number.as_deref().unwrap_or("-")
            )?;
            writeln!(out, "  file       {}", m.filename.as_deref().unwrap_or("-"))?;
            writeln!(out, "  state      {}", m.state)?;
            if let Some(e) = &m.error {
                writeln!(out, "  error      {e}")?;
            }
            writeln!(out, "  size       {} bytes", m.size)?;
            writeln!(out, "  sha256     {}", m.sha256.as_deref().unwrap_or("-"))?;
            writeln!(out, "  created    {}", time_text(m.created_at))?;
            if let Some(r) = m.related_id {
                writeln!(out, "  answers    message {r}")?;
            }
            writeln!(out, "events")?;
            for e in events::for_message(&store, *id).await? {
                writeln!(
                    out,
                    "  {}  {:<16} {:<10} {}  [{}]",
                    time_text(e.at),
                    e.kind,
                    e.stage.map(|s| s.as_str()).unwrap_or("-"),
                    e.detail.as_deref().unwrap_or(""),
                    e.instance.as_deref().unwrap_or("-")
                )?;
            }
            writeln!(out, "jobs")?;
            for j in jobs::for_message(&store, *id).await? {
                writeln!(
                    out,
                    "  #{} {:<9} {:<7} attempts {}/{}{}",
                    j.id,
                    j.stage,
                    j.state,
                    j.attempts,
                    j.max_attempts,
                    j.last_error
                        .as_deref()
                        .map(|e| format!("  last error: {e}"))
                        .unwrap_or_default()
                )?;
            }
            for a in crate::store::as2::for_message(&store, *id).await? {
                writeln!(
                    out,
                    "as2\n  {:<3} Message-ID {}  MIC {} {}",
                    a.direction,
                    a.as2_message_id,
                    a.mic.as_deref().unwrap_or("-"),
                    a.mic_alg.as_deref().unwrap_or("")
                )?;
            }
            let moved = crate::store::transfers::for_message(&store, *id).await?;
            if !moved.is_empty() {
                writeln!(out, "transfers")?;
                for t in moved {
                    writeln!(
                        out,
                        "  {}  {:<3} {}/{}  {} bytes  sha256 {}",
                        time_text(t.at),
                        t.direction,
                        t.remote.trim_end_matches('/'),
                        t.name,
                        t.size,
                        t.sha256
                    )?;
                }
            }
            let related = messages::related(&store, *id).await?;
            if !related.is_empty() {
                writeln!(out, "answered by")?;
                for r in related {
                    writeln!(
                        out,
                        "  message {} {} {} {}",
                        r.id,
                        r.doc_type.as_deref().unwrap_or("-"),
                        r.state,
                        r.control_number.as_deref().unwrap_or("")
                    )?;
                }
            }
            if m.direction == Direction::In || m.size > 0 {
                writeln!(out, "raw bytes: wharf messages show {} --raw", m.id)?;
            }
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn replay(s: Settings, id: crate::store::MessageId) -> anyhow::Result<ExitCode> {
    let p = pipeline(s).await?;
    match p.replay(id).await {
        Ok(stage) => {
            println!("message {id} queued again from {stage}");
            p.store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Err(crate::pipeline::ReplayError::Store(crate::store::StoreError::NoSuchMessage(id))) => {
            Err(UsageError(format!("message {id} does not exist")).into())
        }
        Err(e) => Err(UsageError(e.to_string()).into()),
    }
}
