//! Partner profiles in the browser: the list, a partner's page (profile, traffic, history),
//! editing with the same checks as `wharf partners check` before an atomic save that keeps
//! the previous version, the diff of an earlier version, and the dry run of a sample file.

use std::path::Path as FsPath;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::auth::Session;
use super::messages::{Done, Row, row};
use super::zone::Zone;
use super::{Ctx, PageError, render};
use crate::partners::scaffold::history_dir;
use crate::partners::{PartnerId, Partners, Profile};
use crate::pipeline::Pipeline;
use crate::store::admin::{self, Role};
use crate::store::now_ms;
use crate::store::search::{self, Search};

/// A partner id from the URL, checked like a profile's own (no path tricks).
fn partner_id(id: &str) -> Result<String, PageError> {
    PartnerId::parse(id)
        .map(|p| p.to_string())
        .map_err(|_| PageError::NotFound(format!("partner `{id}`")))
}

pub(crate) struct PartnerRow {
    pub id: String,
    pub name: String,
    pub summary: String,
    pub outbound: String,
    pub inbound: i64,
    pub failed: i64,
}

#[derive(Template)]
#[template(path = "admin/partners.html")]
struct ListPage {
    ctx: Ctx,
    partners: Vec<PartnerRow>,
    problems: Vec<String>,
    // The "New partner" form (onboarding.rs).
    samples: Vec<(&'static str, &'static str)>,
    form: super::onboarding::NewForm,
}

pub async fn list(State(p): State<Pipeline>, s: Session) -> Result<Response, PageError> {
    let traffic = search::per_partner(&p.store, now_ms() - 7 * 86_400_000).await?;
    let snapshot = p.partners.snapshot();
    let partners = snapshot
        .iter()
        .map(|pr| {
            let mine = traffic.iter().filter(|t| t.key == pr.id.as_str());
            let (inbound, failed) = mine.fold((0, 0), |(i, f), t| (i + t.inbound, f + t.failed));
            PartnerRow {
                id: pr.id.to_string(),
                name: pr.name.clone(),
                summary: pr.summary(),
                outbound: pr.outbound.as_str().to_owned(),
                inbound,
                failed,
            }
        })
        .collect();
    let (_, problems) = Partners::load(&p.settings.partners_dir);
    Ok(render(&ListPage {
        ctx: Ctx::new(&s, "partners"),
        partners,
        problems: problems.iter().map(ToString::to_string).collect(),
        samples: super::onboarding::samples(),
        form: super::onboarding::NewForm::default(),
    }))
}

pub(crate) struct HistoryRow {
    pub at: String,
    pub by: String,
    pub name: String,
}

/// Earlier versions, newest first: files named `<unix ms>-<user>.toml`.
fn history(partners_dir: &FsPath, id: &str, zone: &Zone) -> Vec<HistoryRow> {
    let mut names: Vec<String> = std::fs::read_dir(history_dir(partners_dir, id))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".toml"))
                .collect()
        })
        .unwrap_or_default();
    names.sort_by(|a, b| b.cmp(a));
    names
        .into_iter()
        .map(|name| {
            let stem = name.trim_end_matches(".toml");
            let (ms, by) = stem.split_once('-').unwrap_or((stem, ""));
            HistoryRow {
                at: ms
                    .parse()
                    .map(|ms| zone.when(ms))
                    .unwrap_or_else(|_| ms.to_owned()),
                by: by.to_owned(),
                name,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin/partner.html")]
struct PartnerPage {
    ctx: Ctx,
    id: String,
    name: String,
    summary: String,
    outbound: String,
    ack_within: String,
    order_ack_within: String,
    text: String,
    recent: Vec<Row>,
    history: Vec<HistoryRow>,
    checklist: super::onboarding::Checklist,
    /// Its channels' health and its certificates' problems (`partner_health.html`).
    channels: Vec<super::failures::ChannelRow>,
    certificates: Vec<super::failures::CertRow>,
}

fn profile_of(p: &Pipeline, id: &str) -> Result<std::sync::Arc<Profile>, PageError> {
    p.partners
        .snapshot()
        .shared(id)
        .ok_or_else(|| PageError::NotFound(format!("partner `{id}`")))
}

/// Profile keys whose value is a secret when written inline (not as `env:NAME` /
/// `file:/path`): shown to nobody on these pages, only that one is set.
const SECRET_KEYS: &[&str] = &[
    "shared_secret",
    "password",
    "secret",
    "basic_password",
    "api_key",
];

/// What the pages show in place of an inline secret.
const HIDDEN: &str = "<set; hidden>";

/// The key and the quoted value's byte range of a `key = "value"` line, when `key` is a
/// secret key and the value is written inline.
fn inline_secret(line: &str) -> Option<(&str, std::ops::Range<usize>)> {
    let (key, rest) = line.split_once('=')?;
    let key = key.trim();
    if !SECRET_KEYS.contains(&key) {
        return None;
    }
    let open = line.len() - rest.len() + rest.find('"')? + 1;
    let close = open + line[open..].find('"')?;
    let value = &line[open..close];
    (!value.starts_with("env:") && !value.starts_with("file:")).then_some((key, open..close))
}

/// `text` with every inline secret's value replaced by `HIDDEN` (a viewer once read a
/// partner's cXML shared secret on its page).
pub(crate) fn redact(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| match inline_secret(line) {
            Some((_, range)) => format!("{}{HIDDEN}{}", &line[..range.start], &line[range.end..]),
            None => line.to_owned(),
        })
        .collect()
}

/// An edited `text` whose hidden secrets (left as `HIDDEN`) get back the values they have in
/// `current`, key by key in order: editing a profile in the browser never shows a secret and
/// never loses one.
pub(crate) fn unredact(text: &str, current: &str) -> String {
    let mut kept: Vec<(String, String)> = current
        .lines()
        .filter_map(|l| inline_secret(l).map(|(k, r)| (k.to_owned(), l[r].to_owned())))
        .collect();
    kept.reverse();
    text.split_inclusive('\n')
        .map(|line| match inline_secret(line) {
            Some((key, range)) if &line[range.clone()] == HIDDEN => {
                let i = kept.iter().rposition(|(k, _)| k == key);
                let value = i.map(|i| kept.remove(i).1).unwrap_or_default();
                format!("{}{value}{}", &line[..range.start], &line[range.end..])
            }
            _ => line.to_owned(),
        })
        .collect()
}

pub async fn show(
    State(p): State<Pipeline>,
    s: Session,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let id = partner_id(&id)?;
    let profile = profile_of(&p, &id)?;
    let text = redact(&std::fs::read_to_string(&profile.source).unwrap_or_default());
    let recent = search::search(
        &p.store,
        &Search {
            partner: Some(id.clone()),
            limit: 20,
            ..Search::default()
        },
    )
    .await?;
    let snapshot = p.partners.snapshot();
    let channels = super::failures::channel_rows(&p, &snapshot, Some(&id), &s.zone).await?;
    let certificates = super::failures::certificate_rows(&p, &snapshot, Some(&id));
    let mut ctx = Ctx::new(&s, "partners");
    ctx.notice = done.done.map(|d| format!("Done: {d}."));
    Ok(render(&PartnerPage {
        channels,
        certificates,
        ctx,
        name: profile.name.clone(),
        summary: profile.summary(),
        outbound: profile.outbound.as_str().to_owned(),
        ack_within: super::ago(profile.sla.ack_within.as_millis() as i64),
        order_ack_within: super::ago(profile.sla.order_ack_within.as_millis() as i64),
        text,
        recent: recent.iter().map(|m| row(m, &s.zone)).collect(),
        history: history(&p.settings.partners_dir, &id, &s.zone),
        checklist: super::onboarding::checklist(&p, &profile, &s.zone).await?,
        id,
    }))
}

#[derive(Template)]
#[template(path = "admin/partner_edit.html")]
struct EditPage {
    ctx: Ctx,
    id: String,
    text: String,
    errors: Vec<String>,
}

pub async fn edit_page(
    State(p): State<Pipeline>,
    s: Session,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    s.require(Role::Admin)?;
    let id = partner_id(&id)?;
    let profile = profile_of(&p, &id)?;
    let text = std::fs::read_to_string(&profile.source)
        .map_err(|e| PageError::Internal(format!("{}: {e}", profile.source.display())))?;
    let text = redact(&text);
    Ok(render(&EditPage {
        ctx: Ctx::new(&s, "partners"),
        id,
        text,
        errors: Vec::new(),
    }))
}

#[derive(serde::Deserialize)]
pub struct SaveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

pub async fn save(
    State(p): State<Pipeline>,
    s: Session,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<SaveForm>,
) -> Result<Response, PageError> {
    s.allow(&f.csrf, Role::Admin)?;
    let id = partner_id(&id)?;
    let profile = profile_of(&p, &id)?;
    let dir = p.settings.partners_dir.clone();
    let path = profile.source.clone();
    // Browsers send CRLF line ends from a textarea; profiles are kept with LF.
    let before = std::fs::read_to_string(&path).unwrap_or_default();
    let text = unredact(&f.text.replace("\r\n", "\n"), &before);
    let errors = crate::partners::scaffold::new_problems(&dir, &path, &text);
    if !errors.is_empty() {
        let page = EditPage {
            ctx: Ctx::new(&s, "partners"),
            id,
            text: redact(&text),
            errors,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    }
    if before == text {
        return Ok(Redirect::to(&format!("/admin/partners/{id}?done=no%20change")).into_response());
    }
    crate::partners::scaffold::save(&dir, &id, &path, &text, &s.user)
        .map_err(|e| PageError::Internal(format!("{}: {e}", path.display())))?;
    let changed = similar::TextDiff::from_lines(&before, &text)
        .iter_all_changes()
        .filter(|c| c.tag() != similar::ChangeTag::Equal)
        .count();
    admin::record_alone(
        &p.store,
        &s.user,
        "partner.edit",
        &id,
        &format!("{changed} line(s) changed in {}", path.display()),
    )
    .await?;
    if let Some(problems) = p.partners.reload_if_changed()
        && !problems.is_empty()
    {
        tracing::warn!(?problems, "partner profiles reloaded with problems");
    }
    Ok(Redirect::to(&format!("/admin/partners/{id}?done=profile%20saved")).into_response())
}

#[derive(Template)]
#[template(path = "admin/diff.html")]
struct DiffPage {
    ctx: Ctx,
    id: String,
    version: String,
    lines: Vec<(&'static str, String)>,
}

pub async fn diff(
    State(p): State<Pipeline>,
    s: Session,
    Path((id, version)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let id = partner_id(&id)?;
    let profile = profile_of(&p, &id)?;
    let plain = version.ends_with(".toml")
        && version
            .trim_end_matches(".toml")
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && !version.starts_with('.');
    if !plain {
        return Err(PageError::NotFound(format!("version `{version}`")));
    }
    let old = std::fs::read_to_string(history_dir(&p.settings.partners_dir, &id).join(&version))
        .map_err(|_| PageError::NotFound(format!("version `{version}` of {id}")))?;
    let current = redact(&std::fs::read_to_string(&profile.source).unwrap_or_default());
    let old = redact(&old);
    let lines = similar::TextDiff::from_lines(&old, &current)
        .iter_all_changes()
        .map(|c| {
            let (class, sign) = match c.tag() {
                similar::ChangeTag::Delete => ("del", '-'),
                similar::ChangeTag::Insert => ("add", '+'),
                similar::ChangeTag::Equal => ("same", ' '),
            };
            (
                class,
                format!("{sign} {}", c.value().trim_end_matches('\n')),
            )
        })
        .collect();
    Ok(render(&DiffPage {
        ctx: Ctx::new(&s, "partners"),
        id,
        version,
        lines,
    }))
}

#[derive(Template)]
#[template(path = "admin/dryrun.html")]
struct DryRunPage {
    ctx: Ctx,
    id: String,
    filename: String,
    runs: Vec<DryDoc>,
    findings: Vec<String>,
    /// The one-line outcome, shown before any detail.
    verdict: String,
    passed: bool,
}

/// One document of a dry run, laid out as the message page lays out a stored one.
struct DryDoc {
    docs: Vec<super::document::DocView>,
    plan: Vec<super::document::PlanRow>,
    warnings: Vec<String>,
    errors: Vec<String>,
    /// The whole dry run of the document, behind a toggle.
    json: String,
}

impl DryDoc {
    fn of(d: &crate::model::Document, run: &Result<serde_json::Value, String>) -> DryDoc {
        use super::document::{documents_of, plan_of};
        let strings = |v: &serde_json::Value, k: &str| -> Vec<String> {
            v.get(k)
                .and_then(serde_json::Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        match run {
            Ok(v) => {
                // The plan is the mapped record without the tag a stored one carries.
                let mut plan = v.get("plan").cloned().unwrap_or_default();
                let kind = match d {
                    crate::model::Document::Order(_) => Some("order"),
                    crate::model::Document::ShipNotice(_) => Some("receipt"),
                    _ => None,
                };
                if let (Some(o), Some(kind)) = (plan.as_object_mut(), kind) {
                    o.entry("kind").or_insert_with(|| kind.into());
                }
                DryDoc {
                    docs: documents_of(v.get("document").unwrap_or(&serde_json::Value::Null)),
                    plan: plan_of(plan),
                    warnings: strings(v, "warnings"),
                    errors: strings(v, "errors"),
                    json: serde_json::to_string_pretty(v).unwrap_or_else(|e| e.to_string()),
                }
            }
            Err(e) => DryDoc {
                docs: Vec::new(),
                plan: Vec::new(),
                warnings: Vec::new(),
                errors: vec![e.clone()],
                json: String::new(),
            },
        }
    }
}

pub async fn dry_run(
    State(p): State<Pipeline>,
    s: Session,
    Path(id): Path<String>,
    mut form: Multipart,
) -> Result<Response, PageError> {
    let id = partner_id(&id)?;
    let profile = profile_of(&p, &id)?;
    let (mut csrf, mut file, mut filename) = (String::new(), Vec::new(), String::new());
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| PageError::BadRequest(e.to_string()))?
    {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => {
                filename = field.file_name().unwrap_or("sample").to_owned();
                file = field
                    .bytes()
                    .await
                    .map_err(|e| PageError::BadRequest(e.to_string()))?
                    .to_vec();
            }
            _ => {}
        }
    }
    // Reading only, but a form all the same: its token is checked.
    s.allow(&csrf, Role::Viewer)?;
    // The plan is shown in Odoo 18's terms (19 differs in a few field names only).
    let odoo = 18;
    use crate::pipeline::dryrun;
    let (runs, findings, outcome) = match dryrun::documents(&file) {
        Ok((docs, diags)) => {
            let plans: Vec<Result<serde_json::Value, String>> = docs
                .iter()
                .map(|d| {
                    dryrun::plan(&profile, d, &|m| p.ports.planner.records(m, odoo))
                        .map_err(|e| e.to_string())
                })
                .collect();
            let read: Vec<serde_json::Value> = plans
                .iter()
                .filter_map(|r| r.as_ref().ok().cloned())
                .collect();
            let mut outcome = dryrun::outcome(&read, &diags);
            if let Some(Err(e)) = plans.iter().find(|r| r.is_err()) {
                outcome = dryrun::Outcome {
                    passed: false,
                    line: format!("Not planned: {e}"),
                };
            }
            (
                docs.iter()
                    .zip(&plans)
                    .map(|(d, r)| DryDoc::of(d, r))
                    .collect(),
                diags.iter().map(ToString::to_string).collect(),
                outcome,
            )
        }
        Err(e) => (
            Vec::new(),
            vec![e.clone()],
            dryrun::Outcome {
                passed: false,
                line: format!("Not read: {e}"),
            },
        ),
    };
    // Recorded for the partner's onboarding checklist ("test file passed").
    admin::record_alone(
        &p.store,
        &s.user,
        super::onboarding::DRY_RUN,
        &id,
        &format!(
            "{}: {} ({filename})",
            if outcome.passed { "passed" } else { "failed" },
            outcome.line
        ),
    )
    .await?;
    Ok(render(&DryRunPage {
        ctx: Ctx::new(&s, "partners"),
        id,
        filename,
        runs,
        findings,
        verdict: outcome.line,
        passed: outcome.passed,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_secrets_are_hidden_and_kept_through_an_edit() {
        let current = "id = \"p\"\n[cxml]\nshared_secret = \"s3cret\"  # note\n[sftp]\npassword = \"env:P_PW\"\n";
        let shown = redact(current);
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("shared_secret = \"<set; hidden>\"  # note"),
            "{shown}"
        );
        assert!(
            shown.contains("password = \"env:P_PW\""),
            "a reference is no secret"
        );
        // The admin changes the id line and leaves the hidden value alone: the secret stays.
        let edited = shown.replace("id = \"p\"", "id = \"p\" # edited");
        let saved = unredact(&edited, current);
        assert!(
            saved.contains("shared_secret = \"s3cret\"  # note"),
            "{saved}"
        );
        assert!(saved.contains("# edited"));
        // A new value typed in replaces it.
        let saved = unredact(&shown.replace("<set; hidden>", "new"), current);
        assert!(saved.contains("shared_secret = \"new\""), "{saved}");
    }
}
