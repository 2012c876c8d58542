//! Onboarding a partner in the browser: the "New partner" form (a profile made from a sample
//! by `partners::scaffold`), the checklist on each partner's page (identity, documents,
//! channel, credentials, mapping, a passing dry run, placeholders left), the SFTP public key
//! upload and password forms, and Wharf's SFTP host-key fingerprint for the partner to check.
//! Every change is checked like `wharf partners check` and saved with the previous version
//! kept; admin role, CSRF token on every form.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::auth::Session;
use super::{Ctx, PageError, render};
use crate::partners::Profile;
use crate::partners::scaffold::{self, NewPartner, OnboardError, SshPublicKey, Template as Sample};
use crate::pipeline::Pipeline;
use crate::store::admin::{self, Role};

/// The audit action a dry run is recorded under; its detail starts with `passed:` or
/// `failed:`, which the checklist reads.
pub(super) const DRY_RUN: &str = "partner.dryrun";

/// One line of the checklist.
pub(crate) struct Item {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
    /// Where to fix it: a link on this page (`#sftp-key`) or another page.
    pub fix: Option<(String, &'static str)>,
}

/// The onboarding checklist of one partner, for `partner_checklist.html`.
pub(crate) struct Checklist {
    pub items: Vec<Item>,
    /// The partner logs in on Wharf's SFTP server (or may: it has no other channel yet).
    pub sftp: bool,
    /// Wharf's SFTP host key (`SHA256:…`), when the server is on and its key readable.
    pub host_key: Option<String>,
    pub sftp_user: String,
    pub done: usize,
}

/// The checklist of `profile`, from the profile, its file's text and its last dry run.
pub(crate) async fn checklist(
    p: &Pipeline,
    profile: &Profile,
    zone: &super::zone::Zone,
) -> Result<Checklist, PageError> {
    let id = profile.id.as_str();
    let text = std::fs::read_to_string(&profile.source).unwrap_or_default();
    let edit = || Some((format!("/admin/partners/{id}/edit"), "edit the profile"));
    let summary = profile.summary();
    let (identities, documents) = summary.split_once("; ").unwrap_or((&summary, ""));
    let ch = &profile.channels;
    let mut channels = Vec::new();
    if let Some(s) = &ch.sftp {
        channels.push(format!("SFTP login `{}` on Wharf's server", s.user));
    }
    if let Some(a) = &ch.as2 {
        channels.push(format!("AS2 as `{}`", a.id));
    }
    if !ch.collect.is_empty() {
        channels.push(format!("{} folder(s) collected from", ch.collect.len()));
    }
    if profile.cxml.is_some() {
        channels.push("cXML to POST /cxml".into());
    }
    if !matches!(ch.api, crate::partners::ApiAccess::Closed) {
        channels.push("the partner API".into());
    }
    let mut items = vec![
        Item {
            name: "Identity",
            // An id `partners new` made up from the partner id is a guess, not an identity.
            ok: !identities.is_empty() && !text.contains(scaffold::DERIVED_ID),
            detail: if text.contains(scaffold::DERIVED_ID) {
                format!("{identities} — derived from the partner id: confirm it with the partner")
            } else {
                identities.to_owned()
            },
            fix: edit(),
        },
        Item {
            name: "Agreements",
            ok: !profile.agreements.is_empty(),
            detail: documents.to_owned(),
            fix: edit(),
        },
        Item {
            name: "Channel",
            ok: !channels.is_empty(),
            detail: if channels.is_empty() {
                "no way in yet: give it an SFTP key below, or write [as2] or [[collect]]".into()
            } else {
                channels.join("; ")
            },
            fix: if channels.is_empty() {
                Some(("#sftp-key".into(), "add an SFTP key"))
            } else {
                None
            },
        },
    ];
    let uses_sftp = ch.sftp.is_some() || channels.is_empty();
    if uses_sftp {
        let (keys, password) = ch
            .sftp
            .as_ref()
            .map_or((0, false), |s| (s.keys.len(), s.password_hash.is_some()));
        items.push(Item {
            name: "SFTP credentials",
            ok: keys > 0 || password,
            detail: format!(
                "{keys} public key(s); {}",
                if password {
                    "a password is set"
                } else {
                    "no password"
                }
            ),
            fix: Some(("#sftp-key".into(), "add a key or set a password")),
        });
    }
    if let Some(a) = &ch.as2 {
        let present = !a.certificates.is_empty()
            && a.certificates
                .iter()
                .all(|c| std::path::Path::new(c).is_file());
        items.push(Item {
            name: "AS2 certificate",
            ok: present,
            detail: if a.certificates.is_empty() {
                "no [as2] certificate: its signatures cannot be checked".into()
            } else {
                a.certificates.join(", ") + if present { "" } else { " (file missing)" }
            },
            fix: edit(),
        });
    }
    let customer_ref = scaffold::is_written(&text, "mapping", "customer_ref");
    items.push(Item {
        name: "Mapping",
        ok: customer_ref,
        detail: if customer_ref {
            format!("customer_ref = {}", profile.mapping.customer_ref)
        } else {
            format!(
                "customer_ref not set (the id in capitals, {}, is used)",
                profile.mapping.customer_ref
            )
        },
        fix: edit(),
    });
    let dry = admin::last_audit(&p.store, DRY_RUN, id).await?;
    items.push(Item {
        name: "Test file",
        ok: dry
            .as_ref()
            .is_some_and(|d| d.detail.starts_with("passed:")),
        detail: dry.map_or_else(
            || "no dry run yet".to_owned(),
            |d| format!("{} ({})", d.detail, zone.when(d.at)),
        ),
        fix: Some(("#test-file".into(), "run a dry run")),
    });
    let todo = scaffold::to_do(&text);
    items.push(Item {
        name: "Placeholders",
        ok: todo.is_empty(),
        detail: if todo.is_empty() {
            "none left".into()
        } else {
            format!("{} `To do` line(s): {}", todo.len(), todo.join("; "))
        },
        fix: edit(),
    });
    let host_key = p
        .settings
        .sftp
        .as_ref()
        .and_then(|c| crate::util::ssh::key_file_fingerprint(&c.host_key));
    Ok(Checklist {
        done: items.iter().filter(|i| i.ok).count(),
        items,
        sftp: uses_sftp,
        host_key,
        sftp_user: ch
            .sftp
            .as_ref()
            .map_or_else(|| id.chars().take(32).collect(), |s| s.user.clone()),
    })
}

/// The samples the "New partner" form offers: (word, description).
pub(crate) fn samples() -> Vec<(&'static str, &'static str)> {
    Sample::ALL
        .iter()
        .map(|t| (t.word(), t.describe()))
        .collect()
}

#[derive(Template)]
#[template(path = "admin/partner_new.html")]
struct NewPage {
    ctx: Ctx,
    samples: Vec<(&'static str, &'static str)>,
    form: NewForm,
    error: String,
}

#[derive(serde::Deserialize, Default)]
pub struct NewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub template: String,
    #[serde(default)]
    pub x12_qualifier: String,
    /// The one interchange id of the chosen sample's standard (ISA06, UNB 0004, cXML
    /// identity); empty: derived from the id.
    #[serde(default)]
    pub interchange_id: String,
    #[serde(default)]
    pub as2_id: String,
}

fn given(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// `POST /admin/partners`: a new profile from the form; the form again with the reason when
/// it is refused.
pub async fn create(
    State(p): State<Pipeline>,
    s: Session,
    axum::Form(f): axum::Form<NewForm>,
) -> Result<Response, PageError> {
    s.allow(&f.csrf, Role::Admin)?;
    let made = (|| {
        let t = Sample::parse(&f.template)?;
        let mut new = NewPartner::new(f.id.trim(), t)?;
        new.name = given(&f.name);
        let id = given(&f.interchange_id);
        match t {
            Sample::Acme | Sample::Globex | Sample::Pinnacle => {
                new.x12_id = id;
                new.x12_qualifier = given(&f.x12_qualifier);
            }
            Sample::Eurofoods => new.edifact_id = id,
            Sample::Procurenet => new.cxml_identity = id,
        }
        if t == Sample::Globex {
            new.as2_id = given(&f.as2_id);
        }
        scaffold::create(&p.settings.partners_dir, &new).map(|path| (new, path))
    })();
    let (new, path) = match made {
        Ok(made) => made,
        Err(OnboardError::Io { path, source }) => {
            return Err(PageError::Internal(format!("{}: {source}", path.display())));
        }
        Err(e) => {
            let page = NewPage {
                ctx: Ctx::new(&s, "partners"),
                samples: samples(),
                error: e.to_string(),
                form: f,
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
        }
    };
    admin::record_alone(
        &p.store,
        &s.user,
        "partner.new",
        new.id.as_str(),
        &format!("{} from the {} sample", path.display(), new.template.word()),
    )
    .await?;
    reload(&p);
    Ok(Redirect::to(&format!(
        "/admin/partners/{}?done=partner%20created",
        new.id
    ))
    .into_response())
}

/// The profiles in force follow the folder at once, not at the next reload tick.
fn reload(p: &Pipeline) {
    if let Some(problems) = p.partners.reload_if_changed()
        && !problems.is_empty()
    {
        tracing::warn!(?problems, "partner profiles reloaded with problems");
    }
}

/// A change refused for the operator's input is said on the partner's page's error, a
/// failing file as a 500.
fn refused(e: OnboardError) -> PageError {
    match e {
        OnboardError::Io { path, source } => {
            PageError::Internal(format!("{}: {source}", path.display()))
        }
        OnboardError::NoProfile { id, .. } => PageError::NotFound(format!("partner `{id}`")),
        e => PageError::BadRequest(e.to_string()),
    }
}

/// `POST /admin/partners/{id}/sftp-key`: an OpenSSH public key, uploaded as a file or pasted,
/// added to the partner's SFTP login.
pub async fn add_key(
    State(p): State<Pipeline>,
    s: Session,
    Path(id): Path<String>,
    mut form: Multipart,
) -> Result<Response, PageError> {
    let (mut csrf, mut pasted, mut file) = (String::new(), String::new(), String::new());
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| PageError::BadRequest(e.to_string()))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        // A public key is one short line; a 64 KiB field is no key.
        let text = field
            .text()
            .await
            .map_err(|e| PageError::BadRequest(e.to_string()))?;
        if text.len() > 65_536 {
            return Err(PageError::BadRequest("the key is over 64 KiB".into()));
        }
        match name.as_str() {
            "csrf" => csrf = text,
            "key" => pasted = text,
            "file" => file = text,
            _ => {}
        }
    }
    s.allow(&csrf, Role::Admin)?;
    let text = if file.trim().is_empty() { pasted } else { file };
    let key = SshPublicKey::parse(&text).map_err(refused)?;
    let saved = scaffold::add_key(&p.settings.partners_dir, &id, &key, &s.user).map_err(refused)?;
    admin::record_alone(
        &p.store,
        &s.user,
        "partner.sftp_key",
        &id,
        &format!("{} added to {}", key.fingerprint(), saved.path.display()),
    )
    .await?;
    reload(&p);
    Ok(Redirect::to(&format!("/admin/partners/{id}?done=SFTP%20key%20added")).into_response())
}

#[derive(serde::Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

/// `POST /admin/partners/{id}/sftp-password`: the argon2id hash of the typed password
/// written as the partner's `[sftp] password_hash`.
pub async fn set_password(
    State(p): State<Pipeline>,
    s: Session,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<PasswordForm>,
) -> Result<Response, PageError> {
    s.allow(&f.csrf, Role::Admin)?;
    let saved = scaffold::set_password(&p.settings.partners_dir, &id, &f.password, &s.user)
        .map_err(refused)?;
    admin::record_alone(
        &p.store,
        &s.user,
        "partner.sftp_password",
        &id,
        &format!("password hash set in {}", saved.path.display()),
    )
    .await?;
    reload(&p);
    Ok(Redirect::to(&format!("/admin/partners/{id}?done=SFTP%20password%20set")).into_response())
}
