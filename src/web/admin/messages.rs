//! Message search, the message page, its actions (retry, replay, release, cancel; each
//! confirmed on its own page, then audited) and the dead letters grouped by reason.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};

use super::auth::{CsrfForm, Session};
use super::document::{self, lay_out};
use super::zone::Zone;
use super::{Ctx, PageError, ago, render};
use crate::pipeline::Pipeline;
use crate::store::admin::Role;
use crate::store::messages::{self, Message, Payload};
use crate::store::search::{self, Search};
use crate::store::{MessageId, MessageState, events, jobs, registry};

/// What an operator can do to a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Runs its dead job(s) again.
    Retry,
    /// Runs it again from its stored bytes.
    Replay,
    /// Runs a quarantined message again from identification (after its cause was fixed).
    Release,
    /// Stops it: no further processing, its waiting jobs closed.
    Cancel,
}

impl Action {
    pub(crate) fn parse(s: &str) -> Option<Action> {
        match s {
            "retry" => Some(Action::Retry),
            "replay" => Some(Action::Replay),
            "release" => Some(Action::Release),
            "cancel" => Some(Action::Cancel),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Action::Retry => "retry",
            Action::Replay => "replay",
            Action::Release => "release",
            Action::Cancel => "cancel",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Action::Retry => "Retry",
            Action::Replay => "Replay from raw",
            Action::Release => "Release from quarantine",
            // Not a bare "Cancel": beside a way back, that reads as "never mind".
            Action::Cancel => "Cancel message",
        }
    }

    /// The question its confirmation page asks.
    fn question(self, id: MessageId) -> String {
        match self {
            Action::Retry => format!("Retry message #{id}?"),
            Action::Replay => format!("Replay message #{id} from its raw bytes?"),
            Action::Release => format!("Release message #{id} from quarantine?"),
            Action::Cancel => format!("Cancel message #{id}: stop processing it?"),
        }
    }

    fn explanation(self) -> &'static str {
        match self {
            Action::Retry => {
                "Its dead job runs again, with a fresh set of attempts, from the stage where it failed."
            }
            Action::Replay => {
                "It runs again from its stored raw bytes. Orders, acknowledgements and ERP records already made are recognised and not made twice."
            }
            Action::Release => {
                "It runs again from identification. Fix the cause first (usually the partner's profile); if the cause remains it is quarantined again."
            }
            Action::Cancel => {
                "Nothing more is done with it: waiting and dead jobs are closed and the message is marked cancelled. Its bytes and history stay."
            }
        }
    }
}

/// Whether cancelling would stop anything: a message on its way (not in a final state), one
/// with a job waiting, running or dead, or one held in quarantine for an operator's word.
/// A delivered, sent, acknowledged, completed, duplicate or rejected message with no such
/// job has nothing left to stop.
fn cancellable(state: MessageState, dead_jobs: usize, active_jobs: usize) -> bool {
    state != MessageState::Cancelled
        && (!state.is_final() || state == MessageState::Quarantined || dead_jobs + active_jobs > 0)
}

/// The actions that make sense for a message as it stands.
pub(crate) fn actions_for(m: &Message, dead_jobs: usize, active_jobs: usize) -> Vec<Action> {
    let mut out = Vec::new();
    if dead_jobs > 0 {
        out.push(Action::Retry);
    }
    if active_jobs == 0 && m.state != MessageState::Cancelled {
        out.push(Action::Replay);
    }
    if m.state == MessageState::Quarantined && active_jobs == 0 {
        out.push(Action::Release);
    }
    if cancellable(m.state, dead_jobs, active_jobs) {
        out.push(Action::Cancel);
    }
    out
}

/// The search filters, as the admin page's form and the JSON API's query string give them.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct SearchQuery {
    pub(crate) partner: String,
    pub(crate) doc_type: String,
    pub(crate) reference: String,
    pub(crate) control: String,
    pub(crate) state: String,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) before: Option<i64>,
    pub(crate) limit: Option<i64>,
}

pub(crate) struct Row {
    pub id: MessageId,
    pub created: String,
    pub direction: String,
    pub partner: String,
    pub doc_type: String,
    pub reference: String,
    pub control: String,
    pub state: String,
    pub size: i64,
}

pub(crate) fn row(m: &Message, zone: &Zone) -> Row {
    Row {
        id: m.id,
        created: zone.when(m.created_at),
        direction: m.direction.to_string(),
        partner: m.partner.clone().unwrap_or_default(),
        doc_type: m.doc_type.clone().unwrap_or_default(),
        reference: m.reference.clone().unwrap_or_default(),
        control: m.control_number.clone().unwrap_or_default(),
        state: m.state.to_string(),
        size: m.size,
    }
}

#[derive(Template)]
#[template(path = "admin/messages.html")]
struct MessagesPage {
    ctx: Ctx,
    q: SearchQuery,
    partners: Vec<String>,
    states: Vec<String>,
    rows: Vec<Row>,
    next: Option<String>,
    error: Option<String>,
}

/// Why the message search's filters cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum QueryError {
    #[error("`{0}` is not a date (YYYY-MM-DD)")]
    Date(String),
    #[error("`{0}` is not a state")]
    State(String),
}

/// `YYYY-MM-DD` as Unix ms at 00:00 UTC.
fn day_ms(s: &str) -> Result<i64, QueryError> {
    let bad = || QueryError::Date(s.to_owned());
    let mut parts = s.splitn(3, '-').map(|p| p.parse::<i32>().ok());
    let (Some(Some(y)), Some(Some(m)), Some(Some(day))) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let month = u8::try_from(m)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or_else(bad)?;
    let d = time::Date::from_calendar_date(y, month, u8::try_from(day).map_err(|_| bad())?)
        .map_err(|_| bad())?;
    Ok(d.midnight().assume_utc().unix_timestamp() * 1000)
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

impl SearchQuery {
    /// The filters as a store search; a bad date or state is said, not ignored.
    pub(crate) fn to_search(&self) -> Result<Search, QueryError> {
        Ok(Search {
            partner: opt(&self.partner),
            doc_type: opt(&self.doc_type),
            reference: opt(&self.reference),
            control_number: opt(&self.control),
            state: match opt(&self.state) {
                None => None,
                Some(s) => Some(MessageState::parse(&s).ok_or(QueryError::State(s))?),
            },
            direction: None,
            from: opt(&self.from).map(|d| day_ms(&d)).transpose()?,
            // The end day is included.
            to: opt(&self.to)
                .map(|d| day_ms(&d).map(|ms| ms + 86_400_000))
                .transpose()?,
            before: self.before.map(MessageId::new),
            limit: self.limit.unwrap_or(50).clamp(1, 500),
        })
    }
}

pub async fn search(
    State(p): State<Pipeline>,
    s: Session,
    Query(q): Query<SearchQuery>,
) -> Result<Response, PageError> {
    let mut partners: Vec<String> = p
        .partners
        .snapshot()
        .iter()
        .map(|pr| pr.id.to_string())
        .collect();
    partners.sort();
    let states = MessageState::ALL.iter().map(|s| s.to_string()).collect();
    let (rows, error, full) = match q.to_search() {
        Ok(f) => {
            let rows = search::search(&p.store, &f).await?;
            let full = rows.len() as i64 == f.limit;
            (rows, None, full)
        }
        Err(e) => (Vec::new(), Some(e.to_string()), false),
    };
    // A full page may have more after it.
    let next = full.then(|| {
        let last = rows.last().map_or(0, |m| m.id.get());
        let enc = |v: &str| -> String { form_urlencoded::byte_serialize(v.as_bytes()).collect() };
        format!(
            "/admin/messages?partner={}&doc_type={}&reference={}&control={}&state={}&from={}&to={}&before={last}",
            enc(&q.partner),
            enc(&q.doc_type),
            enc(&q.reference),
            enc(&q.control),
            enc(&q.state),
            enc(&q.from),
            enc(&q.to)
        )
    });
    Ok(render(&MessagesPage {
        ctx: Ctx::new(&s, "messages"),
        rows: rows.iter().map(|m| row(m, &s.zone)).collect(),
        q,
        partners,
        states,
        next,
        error,
    }))
}

pub(crate) struct EventRow {
    pub at: String,
    pub kind: String,
    pub stage: String,
    pub detail: String,
}

pub(crate) struct JobRow {
    pub id: i64,
    pub stage: String,
    pub state: String,
    pub attempts: i64,
    pub error: String,
}

pub(crate) struct Link {
    pub model: String,
    pub record: String,
    pub url: Option<String>,
}

pub(crate) struct Detail {
    pub id: MessageId,
    pub state: String,
    pub direction: String,
    pub channel: String,
    pub partner: String,
    pub format: String,
    pub doc_type: String,
    pub reference: String,
    pub control: String,
    pub filename: String,
    pub size: i64,
    pub sha256: String,
    pub created: String,
    pub updated: String,
    pub error: String,
}

#[derive(Template)]
#[template(path = "admin/message.html")]
struct MessagePage {
    ctx: Ctx,
    m: Detail,
    actions: Vec<(&'static str, &'static str)>,
    events: Vec<EventRow>,
    jobs: Vec<JobRow>,
    related: Vec<Row>,
    links: Vec<Link>,
    segments: Vec<(String, String)>,
    raw_text: String,
    canonical: String,
    mapped: String,
    /// The canonical documents and the planned ERP changes as tables (`document.rs`).
    documents: Vec<super::document::DocView>,
    plan: Vec<super::document::PlanRow>,
}

fn pretty(json: Option<String>) -> String {
    json.map(|j| {
        serde_json::from_str::<serde_json::Value>(&j)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or(j)
    })
    .unwrap_or_default()
}

/// A message's dead jobs and its waiting or running ones.
fn job_counts(js: &[jobs::Job]) -> (usize, usize) {
    use crate::store::JobState;
    let count = |f: fn(JobState) -> bool| js.iter().filter(|j| f(j.state)).count();
    (
        count(|s| s == JobState::Dead),
        count(|s| matches!(s, JobState::Ready | JobState::Running)),
    )
}

#[derive(serde::Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    pub(crate) done: Option<String>,
}

pub async fn show(
    State(p): State<Pipeline>,
    s: Session,
    Path(id): Path<MessageId>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let m = match messages::get(&p.store, id).await {
        Ok(m) => m,
        Err(crate::store::StoreError::NoSuchMessage(_)) => {
            return Err(PageError::NotFound(format!("message {id}")));
        }
        Err(e) => return Err(e.into()),
    };
    let evs = events::for_message(&p.store, id).await?;
    let js = jobs::for_message(&p.store, id).await?;
    let (dead, active) = job_counts(&js);
    let mut related = messages::related(&p.store, id).await?;
    if let Some(r) = m.related_id {
        // An outbound acknowledgement links back to the message it answers.
        if let Ok(orig) = messages::get(&p.store, r).await {
            related.insert(0, orig);
        }
    }
    let odoo = match &p.settings.erp {
        crate::config::ErpTarget::Odoo(o) => Some(o.url.trim_end_matches('/').to_owned()),
        crate::config::ErpTarget::Directory(_) => None,
    };
    let links = registry::links_of_message(&p.store, id)
        .await?
        .into_iter()
        .map(|l| Link {
            url: odoo.as_ref().map(|base| {
                format!(
                    "{base}/web#model={}&id={}&view_type=form",
                    l.model, l.odoo_id
                )
            }),
            record: format!("{} #{} ({})", l.model, l.odoo_id, l.doc_key),
            model: l.model,
        })
        .collect();
    let raw = messages::raw(&p.store, id).await.unwrap_or_default();
    let canonical = messages::payload(&p.store, id, Payload::Canonical).await?;
    let mapped = messages::payload(&p.store, id, Payload::Mapped).await?;
    let (segments, raw_text) = lay_out(&raw);
    let mut ctx = Ctx::new(&s, "messages");
    ctx.notice = done.done.map(|d| format!("Done: {d}."));
    let page = MessagePage {
        ctx,
        actions: actions_for(&m, dead, active)
            .into_iter()
            .map(|a| (a.as_str(), a.label()))
            .collect(),
        events: evs
            .iter()
            .map(|e| EventRow {
                at: s.zone.when(e.at),
                kind: e.kind.to_string(),
                stage: e.stage.map(|s| s.to_string()).unwrap_or_default(),
                detail: e.detail.clone().unwrap_or_default(),
            })
            .collect(),
        jobs: js
            .iter()
            .map(|j| JobRow {
                id: j.id,
                stage: j.stage.to_string(),
                state: j.state.to_string(),
                attempts: j.attempts,
                error: j.last_error.clone().unwrap_or_default(),
            })
            .collect(),
        related: related.iter().map(|m| row(m, &s.zone)).collect(),
        links,
        segments,
        raw_text,
        documents: canonical
            .as_deref()
            .map(document::documents)
            .unwrap_or_default(),
        plan: mapped.as_deref().map(document::plan).unwrap_or_default(),
        canonical: pretty(canonical),
        mapped: pretty(mapped),
        m: Detail {
            id: m.id,
            state: m.state.to_string(),
            direction: m.direction.to_string(),
            channel: m.channel.to_string(),
            partner: m.partner.clone().unwrap_or_default(),
            format: m.format.map(|f| f.to_string()).unwrap_or_default(),
            doc_type: m.doc_type.clone().unwrap_or_default(),
            reference: m.reference.clone().unwrap_or_default(),
            control: m.control_number.clone().unwrap_or_default(),
            filename: m.filename.clone().unwrap_or_default(),
            size: m.size,
            sha256: m.sha256.clone().unwrap_or_default(),
            created: s.zone.when(m.created_at),
            updated: s.zone.when(m.updated_at),
            error: m.error.clone().unwrap_or_default(),
        },
    };
    Ok(render(&page))
}

pub async fn raw(
    State(p): State<Pipeline>,
    _s: Session,
    Path(id): Path<MessageId>,
) -> Result<Response, PageError> {
    let raw = match messages::raw(&p.store, id).await {
        Ok(r) => r,
        Err(crate::store::StoreError::NoSuchMessage(_)) => {
            return Err(PageError::NotFound(format!("message {id}")));
        }
        Err(e) => return Err(e.into()),
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"message-{id}.bin\""),
            ),
        ],
        raw,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "admin/confirm.html")]
pub(crate) struct ConfirmPage {
    pub ctx: Ctx,
    pub title: String,
    pub explanation: String,
    pub action: String,
    pub button: String,
    pub back: String,
    pub danger: bool,
    pub fields: Vec<(String, String)>,
}

fn action_of(name: &str) -> Result<Action, PageError> {
    Action::parse(name).ok_or_else(|| PageError::NotFound(format!("action `{name}`")))
}

pub async fn confirm(
    State(p): State<Pipeline>,
    s: Session,
    Path((id, action)): Path<(MessageId, String)>,
) -> Result<Response, PageError> {
    let action = action_of(&action)?;
    s.require(Role::Operator)?;
    let m = messages::get(&p.store, id)
        .await
        .map_err(|_| PageError::NotFound(format!("message {id}")))?;
    // Only what the message page offers is confirmed; `perform` refuses the rest anyway.
    let (dead, active) = job_counts(&jobs::for_message(&p.store, id).await?);
    if !actions_for(&m, dead, active).contains(&action) {
        return Err(PageError::BadRequest(format!(
            "message {id} is {}: “{}” does not apply to it now",
            m.state,
            action.label()
        )));
    }
    Ok(render(&ConfirmPage {
        ctx: Ctx::new(&s, "messages"),
        title: action.question(id),
        explanation: format!(
            "{} ({} {} from {}, now {}.)",
            action.explanation(),
            m.direction,
            m.doc_type.as_deref().unwrap_or("document"),
            m.partner.as_deref().unwrap_or("an unknown partner"),
            m.state
        ),
        action: format!("/admin/messages/{id}/{}", action.as_str()),
        button: action.label().to_owned(),
        back: format!("/admin/messages/{id}"),
        danger: action == Action::Cancel,
        fields: Vec::new(),
    }))
}

pub async fn act(
    State(p): State<Pipeline>,
    s: Session,
    Path((id, action)): Path<(MessageId, String)>,
    axum::Form(f): axum::Form<CsrfForm>,
) -> Result<Response, PageError> {
    let action = action_of(&action)?;
    s.allow(&f.csrf, Role::Operator)?;
    let done = perform(&p, &s.user, id, action).await?;
    let enc: String = form_urlencoded::byte_serialize(done.as_bytes()).collect();
    Ok(Redirect::to(&format!("/admin/messages/{id}?done={enc}")).into_response())
}

/// Runs an action for `actor` (an operator or an API client); what was done, for people.
pub(crate) async fn perform(
    p: &Pipeline,
    actor: &str,
    id: MessageId,
    action: Action,
) -> Result<String, PageError> {
    let refuse = |why: String| Err(PageError::BadRequest(why));
    match action {
        Action::Retry => {
            let n = p.retry(id, actor).await?;
            if n == 0 {
                return refuse(format!("message {id} has no dead job to retry"));
            }
            Ok(format!("{n} job(s) queued again"))
        }
        Action::Replay | Action::Release => {
            if action == Action::Release {
                let m = messages::get(&p.store, id).await?;
                if m.state != MessageState::Quarantined {
                    return refuse(format!("message {id} is {}, not quarantined", m.state));
                }
            }
            let why = if action == Action::Release {
                format!("released from quarantine by {actor}")
            } else {
                format!("replayed by {actor}")
            };
            match p.replay_with(id, &why, Some(actor)).await {
                Ok(stage) => Ok(format!("running again from {stage}")),
                Err(crate::pipeline::ReplayError::Busy(_)) => refuse(format!(
                    "message {id} is still being processed; wait for it to finish"
                )),
                Err(crate::pipeline::ReplayError::Store(e)) => Err(e.into()),
            }
        }
        Action::Cancel => {
            let m = messages::get(&p.store, id).await?;
            let (dead, active) = job_counts(&jobs::for_message(&p.store, id).await?);
            if !cancellable(m.state, dead, active) {
                return refuse(format!(
                    "message {id} is {} with no job waiting: nothing to cancel",
                    m.state
                ));
            }
            p.cancel(id, actor).await?;
            Ok("cancelled".into())
        }
    }
}

pub(crate) struct DeadRow {
    pub message_id: MessageId,
    pub partner: String,
    pub doc_type: String,
    pub attempts: i64,
    pub since: String,
}

pub(crate) struct DeadGroup {
    pub stage: String,
    pub reason: String,
    pub jobs: Vec<DeadRow>,
    pub more: bool,
}

#[derive(Template)]
#[template(path = "admin/dead.html")]
struct DeadPage {
    ctx: Ctx,
    groups: Vec<DeadGroup>,
}

/// Dead letters grouped by stage and reason, largest group first.
pub(crate) async fn dead_groups(p: &Pipeline) -> Result<Vec<DeadGroup>, PageError> {
    let now = crate::store::now_ms();
    let all = search::dead_letters(&p.store, 10_000).await?;
    let mut groups: Vec<DeadGroup> = Vec::new();
    for d in all {
        let row = DeadRow {
            message_id: d.message_id,
            partner: d.partner,
            doc_type: d.doc_type,
            attempts: d.attempts,
            since: format!("{} ago", ago(now - d.since)),
        };
        match groups
            .iter_mut()
            .find(|g| g.stage == d.stage && g.reason == d.reason)
        {
            Some(g) if g.jobs.len() < 200 => g.jobs.push(row),
            Some(g) => g.more = true,
            None => groups.push(DeadGroup {
                stage: d.stage,
                reason: d.reason,
                jobs: vec![row],
                more: false,
            }),
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.jobs.len()));
    Ok(groups)
}

pub async fn dead(
    State(p): State<Pipeline>,
    s: Session,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let mut ctx = Ctx::new(&s, "dead");
    ctx.notice = done.done.map(|d| format!("Done: {d}."));
    Ok(render(&DeadPage {
        ctx,
        groups: dead_groups(&p).await?,
    }))
}

#[derive(serde::Deserialize)]
pub struct GroupQuery {
    #[serde(default)]
    stage: String,
    #[serde(default)]
    reason: String,
}

pub async fn confirm_dead(
    State(p): State<Pipeline>,
    s: Session,
    Query(q): Query<GroupQuery>,
) -> Result<Response, PageError> {
    s.require(Role::Operator)?;
    let n = dead_groups(&p)
        .await?
        .iter()
        .find(|g| g.stage == q.stage && g.reason == q.reason)
        .map_or(0, |g| g.jobs.len());
    Ok(render(&ConfirmPage {
        ctx: Ctx::new(&s, "dead"),
        title: format!("Retry {n} dead job(s)?"),
        explanation: format!(
            "Every dead {} job that failed with “{}” runs again with a fresh set of attempts.",
            q.stage, q.reason
        ),
        action: "/admin/dead/retry".into(),
        button: "Retry them".into(),
        back: "/admin/dead".into(),
        danger: false,
        fields: vec![("stage".into(), q.stage), ("reason".into(), q.reason)],
    }))
}

#[derive(serde::Deserialize)]
pub struct GroupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    reason: String,
}

pub async fn retry_dead(
    State(p): State<Pipeline>,
    s: Session,
    axum::Form(f): axum::Form<GroupForm>,
) -> Result<Response, PageError> {
    s.allow(&f.csrf, Role::Operator)?;
    let n = p.retry_group(&f.stage, &f.reason, &s.user).await?;
    Ok(Redirect::to(&format!("/admin/dead?done={n}%20job(s)%20queued%20again")).into_response())
}
